/**
 * The duplicate-key refusal counts name separators against parsed keys (issue 12, for speed). Checked here against
 * a reference that collects every object's key names, on fixed cases and on generated JSON texts in which keys are
 * repeated, escaped, nested and hidden inside strings.
 */
import fc from "fast-check";
import { DuplicateKeyError, parseWithoutDuplicateKeys } from "../../../functions-src/verify/duplicate-keys";

/** The reference: walk the text as JSON and remember each object's decoded key names. */
function referenceHasDuplicates(text: string): boolean {
  let i = 0;
  const ws = () => {
    while (/\s/.test(text[i] ?? "")) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): boolean => {
    ws();
    if (text[i] === "{") {
      i++;
      const seen = new Set<string>();
      let dup = false;
      ws();
      if (text[i] === "}") return (i++, false);
      for (;;) {
        ws();
        const k = str();
        if (seen.has(k)) dup = true;
        seen.add(k);
        ws();
        i++; // ':'
        if (value()) dup = true;
        ws();
        if (text[i++] === "}") return dup;
      }
    }
    if (text[i] === "[") {
      i++;
      let dup = false;
      ws();
      if (text[i] === "]") return (i++, false);
      for (;;) {
        if (value()) dup = true;
        ws();
        if (text[i++] === "]") return dup;
      }
    }
    if (text[i] === '"') return (str(), false);
    while (i < text.length && !/[,\]}\s]/.test(text[i])) i++;
    return false;
  };
  return value();
}

const refuses = (text: string) => {
  try {
    parseWithoutDuplicateKeys(text);
    return false;
  } catch (e) {
    if (e instanceof DuplicateKeyError) return true;
    throw e;
  }
};

describe("issue 12: duplicate keys are refused by counting", () => {
  it.each([
    ['{"sub":"alice","sub":"admin"}', true],
    ['{"sub":"alice","\\u0073ub":"admin"}', true],
    ['{"a":{"x":1,"x":2}}', true],
    ['{"a":[{"x":1},{"x":1,"y":{"x":1,"x":1}}]}', true],
    ['{"__proto__":1,"__proto__":2}', true],
    ['{"iss":"https://idp.example:443/a:b","aud":"api://broker"}', false],
    ['{"a":"x\\":\\"y","b":"\\\\","c":":"}', false],
    ['{"a":{"x":1},"b":{"x":1}}', false],
    ["[]", false],
    ['{"a":[1,"2",null,true,{"b":{}}]}', false],
  ])("%s → refused: %s", (text, expected) => {
    expect(refuses(text)).toBe(expected);
    expect(referenceHasDuplicates(text)).toBe(expected);
  });

  it("agrees with the reference on generated JSON with repeated, escaped and nested keys", () => {
    // Few key names, some spelled with escapes, so repeats are common; values nest objects and arrays.
    const keyText = fc.constantFrom('"a"', '"b"', '"\\u0061"', '"a:b"', '"\\""', '"__proto__"');
    const leaf = fc.oneof(
      fc.constantFrom("1", "null", "true", '"x:y"', '"\\\\"', '"{\\"a\\":1}"'),
      fc.string().map((s) => JSON.stringify(s)),
    );
    const { json } = fc.letrec<{ json: string; object: string; array: string }>((tie) => ({
      json: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("object"), tie("array")),
      object: fc
        .array(fc.tuple(keyText, tie("json")), { maxLength: 4 })
        .map((members) => `{${members.map(([k, v]) => `${k}:${v}`).join(",")}}`),
      array: fc.array(tie("json"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
    }));
    fc.assert(
      fc.property(json, (text) => {
        expect(refuses(text)).toBe(referenceHasDuplicates(text));
      }),
      { numRuns: 3000 },
    );
  });

  it("reports text that is not JSON as a SyntaxError, not as a duplicate", () => {
    expect(() => parseWithoutDuplicateKeys('{"a":1,')).toThrow(SyntaxError);
  });
});
