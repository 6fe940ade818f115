/**
 * Issue #19, class 4: no pattern stalls the evaluator. Linear time is shown by counting steps (globs, Fluid document
 * patterns) and input reads (the RE2 engine), never by timing; correctness by agreement with the old regular
 * expressions on inputs short enough for them to be safe.
 */
import fc from "fast-check";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import {
  compileLinearPattern,
  matchesGlob,
  patternProblem,
  type StepMeter,
} from "../../lib/policy/runtime/linear-match";
import { createEvaluator } from "../../lib/policy/runtime/evaluate";
import { matchesDocumentPattern } from "../../lib/policy/runtime/template";
import { RE2JS } from "re2js";
import { diagnose, filesInMemory, loadOk } from "./helpers";

/** The old condition-glob translation, as an oracle on short inputs (without its '-' escape, invalid in u-mode). */
function globOracle(glob: string): RegExp {
  let out = "^";
  for (const ch of glob) {
    if (ch === "*") out += "[\\s\\S]*";
    else if (ch === "?") out += "[\\s\\S]";
    else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(out + "$", "u");
}

/** Fluid document patterns: `*` is one or more characters other than '/'. */
function documentOracle(pattern: string): RegExp {
  const body = [...pattern].map((ch) => (ch === "*" ? "[^/]+" : ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
  return new RegExp(`^${body.join("")}$`, "u");
}

const small = (chars: string[], maxLength: number) =>
  fc.array(fc.constantFrom(...chars), { maxLength }).map((a) => a.join(""));

describe("condition globs", () => {
  it("agree with the old regular expression on every short glob and value", () => {
    fc.assert(
      fc.property(
        small(["a", "b", "*", "?", "/", "😀", "."], 8),
        small(["a", "b", "/", "😀", ".", "*"], 10),
        (g, v) => {
          expect(matchesGlob(g, v)).toBe(globOracle(g).test(v));
        },
      ),
      { numRuns: 3000, seed: 19 },
    );
  });

  it("take at most (pattern length + 1) steps per character, however many stars", () => {
    const glob = "*a".repeat(12) + "*b";
    for (const n of [1_000, 2_000, 4_000, 8_000]) {
      const meter: StepMeter = { steps: 0 };
      expect(matchesGlob(glob, "a".repeat(n))).toBe(false);
      matchesGlob(glob, "a".repeat(n), meter);
      expect(meter.steps).toBeLessThanOrEqual((glob.length + 1) * n);
    }
    // Growth is linear: doubling the value at most doubles the steps (plus the pattern's length).
    const steps = (n: number) => {
      const meter: StepMeter = { steps: 0 };
      matchesGlob("*?*?*?*?*?*?*?*?*?*?*?*x", "ab".repeat(n), meter);
      return meter.steps;
    };
    expect(steps(10_000)).toBeLessThanOrEqual(2 * steps(5_000) + 24);
  });
});

describe("Fluid document patterns", () => {
  it("agree with the regular-expression reading on short patterns and ids", () => {
    fc.assert(
      fc.property(small(["a", "-", "*", "/"], 8), small(["a", "-", "/", "b"], 10), (p, id) => {
        expect(matchesDocumentPattern(p, id)).toBe(documentOracle(p).test(id));
      }),
      { numRuns: 3000, seed: 19 },
    );
  });

  it("pass over the id once per pattern character", () => {
    const pattern = "*-".repeat(12) + "*";
    for (const n of [1_000, 10_000]) {
      const meter = { steps: 0 };
      matchesDocumentPattern(pattern, "-".repeat(n), meter);
      expect(meter.steps).toBeGreaterThan(0);
      expect(meter.steps).toBeLessThanOrEqual(pattern.length * n);
    }
  });
});

describe("claim patterns (RE2)", () => {
  /** UTF-8 bytes behind a Proxy that counts every read the engine makes of the input. */
  function countedInput(text: string) {
    const meter = { reads: 0 };
    const bytes = new Proxy(Array.from(Buffer.from(text, "utf8")), {
      get(target, key, receiver) {
        if (typeof key === "string" && /^\d+$/.test(key)) meter.reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    return { bytes: bytes as number[], meter };
  }

  it.each(["^(a+)+$", "(a|aa)+$", "(.*a){12}", "^(a|a?)+$", "(\\w+\\s?)*$", "^([a-z0-9]+-?)+$"])(
    "%s reads each character of a hostile value a bounded number of times",
    (source) => {
      const re = RE2JS.compile(`^(?:${source})$`);
      for (const n of [1_000, 10_000]) {
        const { bytes, meter } = countedInput("a".repeat(n) + "!");
        expect(re.test(bytes)).toBe(false);
        expect(meter.reads).toBeLessThanOrEqual(2 * (n + 1) + 8);
      }
      // The compiled pattern the broker uses answers the same on the string form.
      expect(compileLinearPattern(`^(?:${source})$`).test("a".repeat(10_000) + "!")).toBe(false);
    },
  );

  it.each([
    ["(a)\\1", "a backreference (\\1)"],
    ["(?<t>a)\\k<t>", "a named backreference"],
    ["(?=a)a", "a lookahead"],
    ["(?!admin)[a-z]+", "a negative lookahead"],
    ["(?<=a)b", "a lookbehind"],
    ["(?<!a)b", "a negative lookbehind"],
    ["(?>a+)b", "an atomic group"],
    ["a++", "a possessive quantifier"],
  ])("refuses %s, naming %s", (source, construct) => {
    expect(patternProblem(source)).toContain(construct);
  });

  it("accepts the syntax the policies use, and reads a ']' or '(' inside a class as literal", () => {
    for (const p of ["[a-z0-9]{1,36}", "^[0-9a-f]{32}$", "[\\w.]+", "[^/]{3}", "[(?=]+", "[]a]"])
      expect(patternProblem(p)).toBeUndefined();
    expect(compileLinearPattern("^(?:[a-z0-9-]{1,40})$").test("contoso-1")).toBe(true);
    expect(compileLinearPattern("^(?:[a-z0-9-]{1,40})$").test("contoso/../x")).toBe(false);
  });
});

describe("the evaluator and the check", () => {
  const policy = (claims: string, when: string) => `version: 1
issuers:
  idp:
    type: oidc
    issuer: https://idp.example.com
    audiences: [api]
    claims: { sub: { type: string }, ${claims} }
resources: { cdn: { prefixes: { /files/: {} } } }
roles:
  member:
    when: ${when}
    grants: [{ cdn: { prefix: /files/, ttl: 10m } }]
environments: { dev: { stage: development } }
`;

  it("matches a glob with a dozen stars against a 10,000-character claim, both ways", () => {
    const text = policy("team: { type: string }", `{ claim: team, glob: "${"*a".repeat(12)}*b" }`);
    const ev = createEvaluator(compilePolicy(loadOk(filesInMemory(text)), "dev").config);
    const holds = (team: string) => ev.matchRoles({ issuer: "idp", claims: { sub: "s", team } }).length === 1;
    expect(holds("a".repeat(10_000))).toBe(false);
    expect(holds("a".repeat(10_000) + "b")).toBe(true);
  });

  it("compiles the glob as a glob, with no regular expression in the runtime config", () => {
    const text = policy("team: { type: string }", '{ claim: team, glob: "eng-*" }');
    const { config } = compilePolicy(loadOk(filesInMemory(text)), "dev");
    expect(config.roles[0].when).toEqual({ op: "glob", claim: "team", glob: "eng-*" });
    // The old translation escaped '-' as `\-`, which a u-mode RegExp refuses: evaluating `eng-*` threw.
    const ev = createEvaluator(config);
    expect(ev.matchRoles({ issuer: "idp", claims: { sub: "s", team: "eng-web" } })).toHaveLength(1);
    expect(ev.matchRoles({ issuer: "idp", claims: { sub: "s", team: "ops-web" } })).toHaveLength(0);
  });

  it("refuses a claim pattern RE2 cannot run, positioned at the pattern", () => {
    const text = policy('tid: { type: string, pattern: "(?!admin)[a-z]+" }', "{ claim: tid, equals: contoso }");
    const found = diagnose(filesInMemory(text));
    expect(found).toEqual([
      expect.objectContaining({ code: "E_PATTERN", line: 7, message: expect.stringContaining("a negative lookahead") }),
    ]);
  });

  it("checks a condition value against a catastrophic pattern without stalling", () => {
    // With a backtracking engine this check alone would not finish: the value is 40 a's and a '!'.
    const text = policy('tid: { type: string, pattern: "(a+)+" }', `{ claim: tid, equals: "${"a".repeat(40)}!" }`);
    const found = diagnose(filesInMemory(text));
    expect(found.map((d) => d.code)).toContain("E_NEVER_MATCHES");
  });
});
