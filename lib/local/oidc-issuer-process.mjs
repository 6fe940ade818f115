// A real OIDC issuer (oidc-provider) for tests, run as a child process because oidc-provider is ESM-only.
// argv: <port> <config.json>; config: { keys: [private JWK...], audience, personas: { id: { claims } }, corsOrigins? }.
// Each persona is a client using the client-credentials grant; its access token is a JWT for `audience` carrying
// the persona's claims (sub = client id). Prints one JSON line {"issuer": ...} when listening on 127.0.0.1.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const [port, configFile] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configFile, "utf8"));
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: Object.keys(config.personas).map((id) => ({
    client_id: id,
    client_secret: `secret-${id}`,
    grant_types: ["client_credentials"],
    redirect_uris: [],
    response_types: [],
  })),
  jwks: { keys: config.keys },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => config.audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "broker",
        audience: config.audience,
        accessTokenFormat: "jwt",
        accessTokenTTL: 600,
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
  // Own properties only: a client id such as `constructor` must not reach Object.prototype (issue 19).
  extraTokenClaims: (_ctx, token) =>
    (Object.hasOwn(config.personas, token.clientId) ? config.personas[token.clientId].claims : undefined) ?? {},
  // The demo page (npm run dev) asks the token endpoint from the browser; only its own origin may.
  clientBasedCORS: (_ctx, origin) => (config.corsOrigins ?? []).includes(origin),
});
provider.proxy = false;
const server = provider.listen(Number(port), "127.0.0.1", () =>
  process.stdout.write(`${JSON.stringify({ issuer })}\n`),
);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
