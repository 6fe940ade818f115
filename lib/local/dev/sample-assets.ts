/** Small sample files for the CDN origin: one logo per tenant (SVG, made here) and a public welcome note. */
import { CONTOSO, FABRIKAM } from "./personas";

function logo(name: string, colour: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="96" viewBox="0 0 240 96" role="img" aria-label="${name} logo">
<rect width="240" height="96" rx="12" fill="${colour}"/>
<circle cx="48" cy="48" r="26" fill="#fff" opacity="0.85"/>
<text x="88" y="58" font-family="sans-serif" font-size="26" font-weight="700" fill="#fff">${name}</text>
</svg>
`;
}

export const SAMPLE_ASSETS: { path: string; contentType: string; body: string }[] = [
  { path: `/tenants/${CONTOSO}/logo.svg`, contentType: "image/svg+xml", body: logo("Contoso", "#0f6cbd") },
  { path: `/tenants/${FABRIKAM}/logo.svg`, contentType: "image/svg+xml", body: logo("Fabrikam", "#a4262c") },
  {
    path: "/public/welcome.txt",
    contentType: "text/plain",
    body: "Welcome to the token broker's local environment.\n",
  },
];

export const CDN_CONTAINER = "cdn-origin";
