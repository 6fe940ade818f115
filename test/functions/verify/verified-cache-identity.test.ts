/**
 * The verifier's fast paths (the verified-token cache with admission on second sight, the key remembered per header,
 * the synchronous verifyNow, the remembered compact-form check; issue 17) give the same answers as verifying every
 * token from scratch: a property test over random sequences of good, repeated, expired, early, forged and foreign
 * tokens, Easy Auth principals that agree or not, and a clock that moves. "From scratch" is a new TokenVerifier per
 * call, which holds no cache at all and fetches the issuer's keys from the real key server each time.
 */
import fc from "fast-check";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import type { RuntimeConfig } from "../../../lib/policy/runtime/runtime-config";
import { TokenError, TokenVerifier, type EasyAuthPrincipal } from "../../../functions-src/verify/verify-token";
import { filesInMemory, loadOk } from "../../policy/helpers";
import { KeyServer, makeKey } from "../../support/key-server";

const policyFor = (issuer: string) => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256]
    clockTolerance: 30s
    claims:
      sub: { type: string }
      roles: { type: "string[]" }
resources: { cdn: { prefixes: { /files/: {} } } }
roles:
  member:
    when: { claim: roles, contains: member }
    grants: [{ cdn: { prefix: "/files/", ttl: 10m } }]
environments: { dev: { stage: development } }
`;

let server: KeyServer;
let config: RuntimeConfig;
let tokens: string[];
const start = Date.now();

beforeAll(async () => {
  server = await new KeyServer().start();
  const key = await makeKey("k1");
  const impostor = await makeKey("k1"); // same kid, another key: a forged signature
  server.keys = [key];
  config = compilePolicy(loadOk(filesInMemory(policyFor(server.issuer))), "dev").config;
  const now = Math.floor(start / 1000);
  const member = (sub: string) => ({ sub, roles: ["member"], aud: "api://broker" });
  tokens = [
    ...(await Promise.all(["alice", "bob", "carol", "dave"].map((s) => server.sign(member(s))))),
    await server.sign(member("erin"), { exp: now + 90 }), // expires while the clock moves
    await server.sign({ ...member("frank"), nbf: now + 60 }), // valid only once the clock has moved
    await server.sign(member("mallory"), { key: impostor }),
    await server.sign({ ...member("oscar"), aud: "api://elsewhere" }),
    await server.sign({ ...member("peggy"), roles: "member" }), // a declared claim of the wrong type
    "not-a-token",
    `${(await server.sign(member("trent"))).slice(0, -2)}AA`, // a changed signature
  ];
});
afterAll(() => server.stop());

type Step = { token: number; easyAuth: 0 | 1 | 2; advanceSeconds: number; sync: boolean };

async function outcome(run: () => unknown): Promise<string> {
  try {
    return `ok ${JSON.stringify(await run())}`;
  } catch (e) {
    if (e instanceof TokenError) return `refused ${e.code}: ${e.message}`;
    throw e;
  }
}

describe("verified-token fast paths", () => {
  it("answer every sequence of calls exactly as a verifier without any cache does (fast-check)", async () => {
    const step = fc.record({
      token: fc.nat({ max: 10 }),
      easyAuth: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
      advanceSeconds: fc.constantFrom(0, 0, 0, 1, 45, 100),
      sync: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps: Step[]) => {
        let now = start;
        const clock = () => now;
        const fast = new TokenVerifier(config, { now: clock });
        for (const s of steps) {
          now += s.advanceSeconds * 1000;
          const token = tokens[s.token];
          const subject = token.split(".").length === 3 ? undefined : "nobody";
          const easyAuth: EasyAuthPrincipal | undefined =
            s.easyAuth === 0 ? undefined : { id: s.easyAuth === 1 ? (subject ?? subjectOf(token)) : "mallory" };
          const slow = await outcome(() => new TokenVerifier(config, { now: clock }).verify(token, easyAuth));
          const quick = await outcome(() => (s.sync ? fast.verifyNow(token, easyAuth) : fast.verify(token, easyAuth)));
          expect(quick).toBe(slow);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("caches a token on its second verification, and then skips the signature check", async () => {
    const v = new TokenVerifier(config);
    const token = tokens[0];
    await v.verify(token);
    expect(v.knows(token)).toBe(false); // once: verified in full, not cached
    await v.verify(token);
    expect(v.knows(token)).toBe(true); // twice: cached
    const sync = v.verifyNow(token);
    expect(sync).not.toBeInstanceOf(Promise); // a cache hit answers at once
    expect(sync).toMatchObject({ subject: "alice" });
  });
});

function subjectOf(token: string): string {
  try {
    return String(JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).sub);
  } catch {
    return "nobody";
  }
}
