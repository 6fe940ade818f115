/**
 * Issue 19, class 2: no name from a policy, an environment or a token is looked up through the prototype chain.
 * Every Object.prototype member name (and `__proto__`) goes into every name position of the policy language and of
 * a token's claims. Each one is either refused by `policy check`, `policy compile` and `policy explain` with
 * E_RESERVED_NAME at the line and column that hold it, or keeps exactly its own-property meaning: a plain path
 * segment, a test's free-text name, a token claim no policy reads. The broker is driven with real signed tokens.
 * Our own cases; the independent probes that found the hole stay independent.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { createBroker } from "../../functions-src/core";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { main } from "../../lib/cli/main";
import { loadCheckedPolicy } from "../../lib/policy/authoring/checked-policy";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { UnknownEnvironmentError } from "../../lib/policy/authoring/environments";
import type { PolicyFiles } from "../../lib/policy/authoring/policy-files";
import { runPolicyTests } from "../../lib/policy/review/policy-test";
import { explain } from "../../lib/policy/review/explain";
import { createEvaluator } from "../../lib/policy/runtime/evaluate";
import type { CompiledCondition, RuntimeConfig } from "../../lib/policy/runtime/runtime-config";
import { KeyServer, makeKey } from "../support/key-server";
import { filesInMemory, loadOk } from "./helpers";
import { BASE, NAMES, POSITIONS, replaceOnce } from "./prototype-name-positions";

/** A refusal is positioned when the reported line, from the reported column, starts with the name (or its ${...}). */
function expectPositionedRefusal(
  text: string,
  name: string,
  diagnostics: { code: string; line: number; column: number; message: string }[],
) {
  const refusals = diagnostics.filter((d) => d.code === "E_RESERVED_NAME");
  expect(refusals.length).toBeGreaterThan(0);
  const lines = text.split("\n");
  const escaped = name.replace(/[$_]/g, "\\$&");
  for (const d of refusals) {
    expect(lines[d.line - 1].slice(d.column - 1)).toMatch(
      new RegExp(`^"?(\\$\\{(claims|env|request)\\.)?${escaped}\\b`),
    );
    expect(d.message).toContain(name);
  }
}

describe("issue 19.2: Object.prototype names in every name position of a policy", () => {
  const cases = Object.keys(POSITIONS).flatMap((position) => NAMES.map((name) => [position, name] as const));

  it("covers every Object.prototype member and __proto__", () => {
    expect(NAMES).toEqual(
      expect.arrayContaining(["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]),
    );
    expect(NAMES.length).toBeGreaterThanOrEqual(12);
  });

  it.each(cases)("%s = %s: policy check refuses it with E_RESERVED_NAME where it stands", (position, name) => {
    const text = POSITIONS[position](name);
    const result = loadCheckedPolicy(filesInMemory(text));
    expect(result.ok).toBe(false);
    expectPositionedRefusal(text, name, result.diagnostics);
  });

  it("any mix of reserved names in any positions: every one is refused at its place, nothing compiles", () => {
    // Positions that edit disjoint text, so they compose.
    const composable = [
      "claim declaration",
      "condition claim:",
      "${env.x} in a CDN prefix",
      "container name",
      "issuer subject",
      "revocation adminRoles",
      "${request.x} in documents",
    ];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...composable), { minLength: 1 }),
        fc.array(fc.constantFrom(...NAMES), { minLength: composable.length, maxLength: composable.length }),
        (positions, names) => {
          let text = BASE;
          positions.forEach((p, i) => (text = POSITIONS[p](names[i], text)));
          const result = loadCheckedPolicy(filesInMemory(text));
          expect(result.ok).toBe(false);
          const refused = result.diagnostics.filter((d) => d.code === "E_RESERVED_NAME");
          const lines = text.split("\n");
          for (const name of new Set(positions.map((_, i) => names[i]))) {
            expect(refused.some((d) => lines[d.line - 1].slice(d.column - 1).includes(name))).toBe(true);
          }
        },
      ),
      { numRuns: 150, seed: 19_2 },
    );
  });

  it("plain text positions keep their plain meaning: a CDN path segment named like a member compiles as written", () => {
    for (const name of NAMES.filter((n) => /^[A-Za-z0-9_.-]+$/.test(n))) {
      let text = replaceOnce(
        BASE,
        "      /public/: { cache: shared }",
        `      /public/: { cache: shared }\n      /${name}/: {}`,
      );
      text = replaceOnce(text, '"/tenants/${claims.tid}/"', `"/${name}/\${claims.tid}/"`);
      const { config } = compilePolicy(loadOk(filesInMemory(text)), "dev");
      const cdn = config.roles[0].grants.find((g) => g.type === "cdn")!;
      expect(cdn.type === "cdn" && cdn.prefix).toEqual([`/${name}/`, { claim: "tid" }, "/"]);
      expect(Object.keys(config.resources.cdn!.prefixes)).toContain(`/${name}/`);
    }
  });

  it.each(NAMES)("compile --env %s is an unknown environment, never an inherited member", (name) => {
    expect(() => compilePolicy(loadOk(filesInMemory(BASE)), name)).toThrow(UnknownEnvironmentError);
    expect(() => compilePolicy(loadOk(filesInMemory(BASE)), `${name}-1`)).toThrow(UnknownEnvironmentError);
  });
});

describe("issue 19.2: policy test files", () => {
  const withTests = (testYaml: string): PolicyFiles => ({
    label: "mem",
    policyFile: "mem/policy.yaml",
    testFiles: ["mem/tests/t.yaml"],
    read: (f) => (f === "mem/policy.yaml" ? BASE : testYaml),
  });
  const claims = (extra = "") => `{ sub: u1, tid: contoso, roles: [reader]${extra} }`;
  const caseYaml = (name: string, extra: string, expectRoles = "[reader]") => `cases:
  - name: ${name}
    environments: [dev]
    claims: ${claims(extra)}
    requests: [{ type: cosmos, container: documents }]
    expect:
      roles: ${expectRoles}
      credentials: [{ type: cosmos, container: documents, partitionKey: contoso, access: read, ttl: 1h }]
`;

  it.each(NAMES)(
    "a persona named %s, `as:` it, or an expected role of that name is refused where it stands",
    (name) => {
      for (const text of [
        `personas:\n  ${name}:\n    claims: ${claims()}\n${caseYaml("x", "").replace("    claims:", "    as: reader\n    claims:")}`,
        caseYaml("x", "").replace("    claims:", `    as: ${name}\n    claims:`),
        caseYaml("x", "", `[${name}]`),
      ]) {
        const result = loadCheckedPolicy(withTests(text));
        const problems = [...result.diagnostics];
        if (result.ok) runPolicyTests(result.policy).diagnostics.forEach((d) => problems.push(d));
        expectPositionedRefusal(text, name, problems);
      }
    },
  );

  it.each(NAMES)(
    "a test case named %s, and a claim %s in its token, keep their plain meaning: the case passes",
    (name) => {
      const text = caseYaml(JSON.stringify(name), `, ${JSON.stringify(name)}: { polluted: true }`);
      const report = runPolicyTests(loadOk(withTests(text)));
      expect(report.diagnostics).toEqual([]);
      expect(report.results.map((r) => [r.name, r.passed, r.problems])).toEqual([[name, true, []]]);
    },
  );
});

describe("issue 19.2: the CLI (policy compile, policy explain)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tb-proto-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      argv,
      (s) => out.push(s),
      (s) => err.push(s),
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  function write(text: string): string {
    const policyDir = mkdtempSync(join(dir, "p-"));
    writeFileSync(join(policyDir, "policy.yaml"), text);
    return policyDir;
  }

  const positions = Object.keys(POSITIONS);

  it("policy compile and policy explain refuse reserved names in every position, at their line:column", async () => {
    const claimsFile = join(dir, "claims.json");
    writeFileSync(claimsFile, JSON.stringify({ sub: "u1", tid: "contoso", roles: ["reader"] }));
    // Every position with two names and every name in several positions (the exhaustive product runs in-process,
    // under `policy check` above; each CLI run costs a full load).
    for (const [i, position] of positions.entries()) {
      for (const name of [NAMES[i % NAMES.length], NAMES[(i + 6) % NAMES.length]]) {
        const text = POSITIONS[position](name);
        const policyDir = write(text);
        const compiled = await run([
          "policy",
          "compile",
          policyDir,
          "--env",
          "dev",
          "--out",
          join(policyDir, "c.json"),
        ]);
        const explained = await run(["policy", "explain", policyDir, "--env", "dev", "--claims", claimsFile]);
        for (const r of [compiled, explained]) {
          expect([position, name, r.code]).toEqual([position, name, 1]);
          const positioned = [...r.err.matchAll(/policy\.yaml:(\d+):(\d+) error E_RESERVED_NAME/g)].map((m) => ({
            code: "E_RESERVED_NAME",
            line: Number(m[1]),
            column: Number(m[2]),
            message: name,
          }));
          expectPositionedRefusal(text, name, positioned);
        }
      }
    }
  });

  it("explain over claims with member-named keys answers exactly as without them", async () => {
    const policyDir = write(BASE);
    const clean = { sub: "u1", tid: "contoso", roles: ["reader"] };
    const plain = join(dir, "plain.json");
    writeFileSync(plain, JSON.stringify(clean));
    const expected = await run(["policy", "explain", policyDir, "--env", "dev", "--claims", plain, "--json"]);
    expect(expected.code).toBe(0);
    for (const name of NAMES) {
      const file = join(dir, "hostile.json");
      // JSON text: `__proto__` becomes an own key, as in a token's payload.
      writeFileSync(file, `{"${name}": {"roles": ["reader"]}, ${JSON.stringify(clean).slice(1)}`);
      const got = await run(["policy", "explain", policyDir, "--env", "dev", "--claims", file, "--json"]);
      expect([name, got.code, got.out]).toEqual([name, 0, expected.out]);
    }
  });
});

describe("issue 19.2: the broker, with real signed tokens", () => {
  let server: KeyServer;
  beforeAll(async () => {
    server = await new KeyServer().start();
    server.keys = [await makeKey("k1")];
  });
  afterAll(() => server.stop());

  const policy = () => BASE.replace("issuer: https://login.example.com", `issuer: ${server.issuer}`);

  function brokerFor(config: RuntimeConfig) {
    return createBroker({
      config,
      verifier: new TokenVerifier(config),
      minters: {
        fluid: createFluidMinter(() => ({
          tenantId: "t",
          endpoint: "http://127.0.0.1:1",
          key1: "k1",
          key2: "k2",
          active: "key1",
        })),
      },
    });
  }

  /** A token whose payload is exactly this JSON text (so `__proto__` is an own key, as any JSON parser makes it). */
  function tokenWithPayload(json: string): string {
    const k = server.keys[0];
    const now = Math.floor(Date.now() / 1000);
    const payload = JSON.parse(
      `{"iss": ${JSON.stringify(server.issuer)}, "aud": "api://docs", "iat": ${now}, "exp": ${now + 600}, ${json.slice(1)}`,
    );
    return server.signRaw({ alg: "RS256", kid: k.kid, typ: "JWT" }, payload);
  }

  async function exchange(broker: ReturnType<typeof brokerFor>, token: string) {
    const res = await broker.handle({
      method: "POST",
      path: "/api/token",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ requests: [{ type: "fluid", documentId: "contoso-doc" }] }),
    });
    const body = JSON.parse(res.body ?? "{}");
    return {
      status: res.status,
      roles: body.roles,
      denied: body.denied,
      scopes: body.credentials?.map((c: { scopes: string[] }) => c.scopes),
    };
  }

  it("claims named like Object.prototype members in a token change nothing (fast-check over names and values)", async () => {
    const broker = brokerFor(compilePolicy(loadOk(filesInMemory(policy())), "dev").config);
    const reader = await exchange(broker, tokenWithPayload('{"sub": "u1", "tid": "contoso", "roles": ["reader"]}'));
    const stranger = await exchange(broker, tokenWithPayload('{"sub": "u2", "tid": "contoso", "roles": []}'));
    expect(reader).toMatchObject({ status: 200, roles: ["reader"], scopes: [["doc:read"]] });
    expect(stranger.status).toBe(403);
    const value = fc.oneof(
      fc.constant({ roles: ["reader"], tid: "contoso" }),
      fc.constant(["reader"]),
      fc.constant("reader"),
      fc.constant(true),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1 }),
        value,
        fc.boolean(),
        async (names, v, isReader) => {
          const extra = names.map((n) => `${JSON.stringify(n)}: ${JSON.stringify(v)}`).join(", ");
          const base = isReader
            ? '"sub": "u1", "tid": "contoso", "roles": ["reader"]'
            : '"sub": "u2", "tid": "contoso", "roles": []';
          const got = await exchange(broker, tokenWithPayload(`{${extra}, ${base}}`));
          expect(got).toEqual(isReader ? reader : stranger);
        },
      ),
      { numRuns: 60, seed: 19_2 },
    );
  });

  it("a config reading a member-named claim matches exactly the tokens that carry it themselves (fast-check)", async () => {
    // Defence in depth: a config made by hand or by an older compiler, never by `policy compile` today.
    const { config } = compilePolicy(loadOk(filesInMemory(policy())), "dev");
    const conditions = {
      exists: (n: string): CompiledCondition => ({ op: "exists", claim: n, value: true }),
      absent: (n: string): CompiledCondition => ({ op: "exists", claim: n, value: false }),
      equals: (n: string): CompiledCondition => ({ op: "equals", claim: n, value: "yes" }),
      in: (n: string): CompiledCondition => ({ op: "in", claim: n, values: ["yes", "ja"] }),
      prefix: (n: string): CompiledCondition => ({ op: "prefix", claim: n, value: "y" }),
      not: (n: string): CompiledCondition => ({ op: "not", of: { op: "equals", claim: n, value: "yes" } }),
    };
    type Op = keyof typeof conditions;
    /** What the condition means over own properties only: the model the broker must follow. */
    const holds = (op: Op, carried: boolean, v: unknown) =>
      ({
        exists: carried,
        absent: !carried,
        equals: carried && v === "yes",
        in: carried && (v === "yes" || v === "ja"),
        prefix: carried && typeof v === "string" && v.startsWith("y"),
        not: !(carried && v === "yes"),
      })[op];
    const brokers = new Map<string, ReturnType<typeof brokerFor>>();
    const brokerOf = (name: string, op: Op) => {
      const key = `${op} ${name}`;
      if (!brokers.has(key))
        brokers.set(
          key,
          brokerFor({
            ...config,
            roles: config.roles.map((r) => ({ ...r, when: conditions[op](name) })),
            index: { byClaim: {}, unindexed: config.roles.map((_, i) => i) },
          }),
        );
      return brokers.get(key)!;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...NAMES),
        fc.constantFrom(...(Object.keys(conditions) as Op[])),
        fc.boolean(),
        fc.oneof(fc.constantFrom("yes", "ja", "no", ""), fc.string(), fc.constant(["yes"]), fc.constant({ yes: true })),
        fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 4 }),
        async (name, op, carried, v, noise) => {
          const others = noise.filter((n) => n !== name).map((n) => `${JSON.stringify(n)}: "yes"`);
          const own = carried ? [`${JSON.stringify(name)}: ${JSON.stringify(v)}`] : [];
          const payload = `{${[...others, ...own, '"sub": "u1", "tid": "contoso"'].join(", ")}}`;
          const got = await exchange(brokerOf(name, op), tokenWithPayload(payload));
          const expected = holds(op, carried, v);
          expect([name, op, carried, got.status, got.roles ?? []]).toEqual([
            name,
            op,
            carried,
            expected ? 200 : 403,
            expected ? ["reader"] : [],
          ]);
        },
      ),
      { numRuns: 200, seed: 192 },
    );
  });

  it.each(NAMES)(
    "a compiled config that reads claim %s (one `policy check` refuses) matches only tokens that carry it themselves",
    async (name) => {
      // Defence in depth: a config made by hand or by an older compiler, never by `policy compile` today.
      const { config } = compilePolicy(loadOk(filesInMemory(policy())), "dev");
      const hand: RuntimeConfig = {
        ...config,
        roles: config.roles.map((r) => ({ ...r, when: { op: "exists", claim: name, value: true } })),
        index: { byClaim: {}, unindexed: config.roles.map((_, i) => i) },
      };
      const broker = brokerFor(hand);
      const without = await exchange(broker, tokenWithPayload('{"sub": "u1", "tid": "contoso", "roles": []}'));
      expect([name, without.status, without.denied?.[0]?.reason]).toEqual([name, 403, "no-role"]);
      const own = await exchange(
        broker,
        tokenWithPayload(`{${JSON.stringify(name)}: "yes", "sub": "u1", "tid": "contoso"}`),
      );
      expect([name, own.status, own.roles]).toEqual([name, 200, ["reader"]]);
      // The evaluator and explain agree, for equals, in and prefix as well as exists.
      for (const when of [
        { op: "equals", claim: name, value: "yes" },
        { op: "in", claim: name, values: ["yes"] },
        { op: "prefix", claim: name, value: "y" },
        { op: "not", of: { op: "exists", claim: name, value: true } },
      ] as CompiledCondition[]) {
        const c: RuntimeConfig = { ...hand, roles: hand.roles.map((r) => ({ ...r, when })) };
        const holds = (claims: Record<string, unknown>) =>
          createEvaluator(c).matchRoles({ issuer: "corp", claims }).length > 0;
        const absent = JSON.parse('{"sub": "u1"}');
        const present = JSON.parse(`{"sub": "u1", ${JSON.stringify(name)}: "yes"}`);
        expect([name, when.op, holds(absent), holds(present)]).toEqual([
          name,
          when.op,
          when.op === "not",
          when.op !== "not",
        ]);
        expect(explain(c, { issuer: "corp", claims: absent }).roles[0].matched).toBe(when.op === "not");
      }
    },
  );

  it.each(NAMES)("a template over claim %s expands only an own value", (name) => {
    const { config } = compilePolicy(loadOk(filesInMemory(policy())), "dev");
    const hand: RuntimeConfig = {
      ...config,
      roles: config.roles.map((r) => ({
        ...r,
        grants: r.grants.map((g) => (g.type === "cosmos" ? { ...g, partitionKey: [{ claim: name }] } : g)),
      })),
    };
    const ev = createEvaluator(hand);
    const ask = [{ type: "cosmos" as const, container: "documents" }];
    const absent = ev.evaluate({ issuer: "corp", claims: JSON.parse('{"sub": "u1", "roles": ["reader"]}') }, ask);
    expect(absent.denied.map((d) => [d.reason, d.message])).toEqual([
      ["claim-unusable", `grant reader#0 needs claim '${name}', which is missing`],
    ]);
    const own = ev.evaluate(
      { issuer: "corp", claims: JSON.parse(`{"sub": "u1", "roles": ["reader"], ${JSON.stringify(name)}: "p1"}`) },
      ask,
    );
    expect(own.credentials.map((c) => c.type === "cosmos" && c.partitionKey)).toEqual(["p1"]);
    // A request naming a container called like a member is simply not granted.
    expect(
      ev.evaluate({ issuer: "corp", claims: { sub: "u1", roles: ["reader"] } }, [{ type: "cosmos", container: name }])
        .denied[0]?.reason,
    ).toBe("not-granted");
  });
});
