/**
 * The fast canonical JSON writer (issue 17) against the plain definition kept in test/support: the same text for
 * any value, plain or not, because the policy hash of every deployed config depends on it.
 */
import fc from "fast-check";
import { canonicalJson, sha256Hex } from "../../lib/policy/authoring/canonical-json";
import { referenceCanonicalJson } from "../support/reference-canonical-json";
import { compileExample } from "./helpers";

/** The outcome of a writer: its text, or the class and message of what it threw (a bigint throws in both). */
function outcome(write: (v: unknown) => string, value: unknown): string {
  try {
    return `ok ${write(value)}`;
  } catch (e) {
    return `threw ${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

/** Keys that sort or enumerate unusually: array indexes (listed first by V8), `__proto__`, `toJSON`, non-ASCII. */
const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("0", "1", "10", "9", "4294967295", "-1", "01", "__proto__", "toJSON", "a", "B", "é", "\u{1F600}", ""),
);

const odd = fc.oneof(
  fc.constant(undefined),
  fc.constant(() => 1),
  fc.constant(Symbol("s")),
  fc.bigInt({ min: -5n, max: 5n }),
  fc.date({ noInvalidDate: true }),
  fc.constant(new Map([["a", 1]])),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e21, 5e-324),
);

const { tree } = fc.letrec<{ tree: unknown; plain: unknown; sparse: unknown; bare: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.jsonValue(),
    odd,
    tie("plain"),
    tie("sparse"),
    tie("bare"),
  ),
  plain: fc.dictionary(key, tie("tree"), { maxKeys: 5 }),
  // An array with holes: Array#map keeps them and join writes nothing for them.
  sparse: fc.sparseArray(tie("tree"), { maxLength: 5 }),
  // A null-prototype object, where "__proto__" is an ordinary own key.
  bare: fc
    .array(fc.tuple(key, tie("tree")), { maxLength: 4 })
    .map((entries) => Object.assign(Object.create(null) as object, Object.fromEntries(entries))),
}));

describe("canonicalJson", () => {
  it("writes what the plain definition writes, for any value (fast-check)", () => {
    fc.assert(
      fc.property(tree, (value) => {
        expect(outcome(canonicalJson, value)).toBe(outcome(referenceCanonicalJson, value));
      }),
      { numRuns: 3000 },
    );
  });

  it("writes plain JSON data exactly as the definition does, keys in any order (fast-check)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
      }),
      { numRuns: 3000 },
    );
  });

  it("gives every example environment's compiled config the hash the definition gives", () => {
    for (const env of ["dev", "prod", "pr-7", "local"]) {
      const { policyHash, ...rest } = compileExample(env).config;
      expect(policyHash).toBe(`sha256:${sha256Hex(referenceCanonicalJson(rest))}`);
    }
  });

  it("sorts keys by UTF-16 code units, array-index keys included, and leaves out undefined members", () => {
    const value = { b: 1, "10": 2, "9": 3, A: [undefined, { z: undefined, y: null }], "-": 4 };
    expect(canonicalJson(value)).toBe('{"-":4,"10":2,"9":3,"A":[null,{"y":null}],"b":1}');
  });

  it("writes a value holding a toJSON member as data, as the definition does (JSON.stringify would call it)", () => {
    const value = { toJSON: () => "replaced", a: 1 };
    expect(canonicalJson(value)).toBe('{"a":1,"toJSON":null}');
  });
});
