/**
 * The README shows the banner of `npm run dev` and CDN paths for the SDK: both must be what the banner prints (issue
 * 20: the README named a CDN path the banner never showed). The banner is formatted from the repository's policy
 * compiled for `local`, with the README's own ports.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { banner } from "../../../lib/local/dev/banner";
import type { DevEnvironment } from "../../../lib/local/dev/dev-environment";
import { compileLocal } from "../../../lib/local/dev/local-policy";
import { ROOT } from "./dev-support";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");

function printed(): string {
  const at = (port: number) => `http://127.0.0.1:${port}`;
  const compiled = compileLocal(join(ROOT, "policies"), at(7071), at(7070));
  if (!compiled.ok) throw new Error("the repository's policy does not compile for local");
  const env: DevEnvironment = {
    urls: {
      demo: at(7070),
      issuer: at(7071),
      broker: at(7072),
      fluid: at(7073),
      storage: "https://127.0.0.1:7074/devstoreaccount1",
      cosmos: `${at(7075)}/`,
      cdn: at(7076),
    },
    cosmosIsStandIn: true,
    noteId: "n1",
    fabrikamNoteId: "n2",
    audience: "api://token-broker-local",
    policy: () => ({ config: compiled.config }),
    stop: async () => undefined,
  };
  return banner(env, 7300);
}

const cdnRow = (text: string) => text.split("\n").find((l) => /^\s+CDN paths\s/.test(l));

it("the README's banner has the CDN paths row the banner prints", () => {
  const row = cdnRow(printed());
  expect(row).toBeDefined();
  expect(cdnRow(readme)).toBe(row);
});

it("every tenant CDN path the README's examples use is one the banner shows", () => {
  const shown = cdnRow(printed())!;
  const files = [...readme.matchAll(/\/tenants\/(?:<tid>|\$\{tid\})\/([\w.-]+)/g)].map((m) => m[1]);
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) expect(shown).toMatch(new RegExp(`/tenants/[0-9a-f-]+/${file.replace(".", "\\.")}`));
});
