/**
 * Issue #19, class 4, at the broker: a declared claim pattern runs on every exchange against a value the caller
 * chose. With `^(a+)+$` a backtracking engine needed seconds for 28 characters (doubling with each one more); the
 * broker's linear engine answers a 5,000-character value. A regression here would not fail: it would hang.
 */
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { TokenError, TokenVerifier } from "../../../functions-src/verify/verify-token";
import { filesInMemory, loadOk } from "../../policy/helpers";
import { KeyServer, makeKey } from "../../support/key-server";

let server: KeyServer;

beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
});
afterAll(() => server.stop());

const policy = (issuer: string) => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256]
    claims:
      sub: { type: string }
      team: { type: string, pattern: "(a+)+" }
resources: { cdn: { prefixes: { /files/: {} } } }
roles:
  member:
    when: { claim: team, glob: "${"*a".repeat(12)}*b" }
    grants: [{ cdn: { prefix: /files/, ttl: 10m } }]
environments: { dev: { stage: development } }
`;

it("refuses a hostile value of a catastrophic claim pattern, and accepts a matching one", async () => {
  const config = compilePolicy(loadOk(filesInMemory(policy(server.issuer))), "dev").config;
  const verifier = new TokenVerifier(config);
  const hostile = await server.sign({ sub: "s", aud: "api://broker", team: "a".repeat(5_000) + "!" });
  const error = await verifier.verify(hostile).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenError);
  expect((error as TokenError).code).toBe("ERR_TOKEN_CLAIMS");
  const fine = await verifier.verify(await server.sign({ sub: "s", aud: "api://broker", team: "a".repeat(5_000) }));
  expect(fine.claims.team).toHaveLength(5_000);
});
