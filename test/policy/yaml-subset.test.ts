/**
 * The policy YAML subset (docs/policy-language.md "The YAML subset"): the inputs that used to crash `policy check`
 * with a stack trace (an anchor used past `yaml`'s alias count, an undefined alias, nesting thousands deep) and a file
 * past the size bound are each one positioned diagnostic, and a syntax error names the line where the fix belongs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { YAML_LIMITS, YamlSource } from "../../lib/policy/authoring/yaml-source";
import { diagnose, EXAMPLE_DIR, filesInMemory } from "./helpers";

const EXAMPLE = readFileSync(join(EXAMPLE_DIR, "policy.yaml"), "utf8");

function only(text: string) {
  const found = YamlSource.parse("p.yaml", text).diagnostics;
  expect(found).toHaveLength(1);
  return found[0];
}

describe("the YAML subset", () => {
  it("refuses block nesting thousands deep with a position, without overflowing the stack", () => {
    const seq = "- ".repeat(5000) + "x\n";
    expect(only(seq)).toMatchObject({ code: "E_YAML_LIMIT", line: 1 });
    const map = Array.from({ length: 600 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + "\n";
    const d = only(map);
    expect(d).toMatchObject({ code: "E_YAML_LIMIT" });
    // The first level past the bound: line 65 or 66 (the parser's stack also holds the scalar being read).
    expect(d.line).toBeGreaterThanOrEqual(YAML_LIMITS.maxDepth);
    expect(d.line).toBeLessThanOrEqual(YAML_LIMITS.maxDepth + 2);
    expect(only("[".repeat(200_000))).toMatchObject({ code: "E_YAML_LIMIT", line: 1, column: 65 });
  });

  it("accepts exactly the stated depth and refuses one more", () => {
    const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(YamlSource.parse("p.yaml", nested(YAML_LIMITS.maxDepth)).diagnostics).toEqual([]);
    expect(only(nested(YAML_LIMITS.maxDepth + 1)).code).toBe("E_YAML_LIMIT");
    const seq = (n: number) => "- ".repeat(n) + "x";
    expect(YamlSource.parse("p.yaml", seq(YAML_LIMITS.maxDepth)).diagnostics).toEqual([]);
    expect(only(seq(YAML_LIMITS.maxDepth + 1)).code).toBe("E_YAML_LIMIT");
  });

  it("refuses anchors and aliases, defined or not, however many, at the anchor", () => {
    const many = `a: &x [1]\nb: [${Array(60).fill("*x").join(", ")}]\n`;
    expect(only(many)).toMatchObject({ code: "E_YAML_ALIAS", line: 1, column: 4 });
    expect(only(many).message).toContain("used by 60 aliases");
    expect(only("a: 1\nb: *nowhere\n")).toMatchObject({ code: "E_YAML_ALIAS", line: 2, column: 4 });
    // A billion laughs: each level doubles; refused before anything expands.
    const laughs = ["l0: &l0 [lol]"];
    for (let i = 1; i < 30; i++) laughs.push(`l${i}: &l${i} [*l${i - 1}, *l${i - 1}]`);
    const found = YamlSource.parse("p.yaml", laughs.join("\n")).diagnostics;
    expect(found.length).toBe(20); // capped: the first twenty say enough
    expect(found.every((d) => d.code === "E_YAML_ALIAS" && d.line >= 1)).toBe(true);
  });

  it("refuses a file past the size bound at the character where it is crossed", () => {
    const text = "a: b\n" + "# padding\n".repeat(YAML_LIMITS.maxChars / 10 + 1);
    const d = only(text);
    expect(d.code).toBe("E_YAML_LIMIT");
    const lineOfLimit = text.slice(0, YAML_LIMITS.maxChars).split("\n").length;
    expect(d.line).toBe(lineOfLimit);
  });

  it("refuses a second document", () => {
    expect(only("a: 1\n---\nb: 2\n")).toMatchObject({ code: "E_YAML", line: 2 });
  });

  it("reports a flow map left open at the end of its line, not at the next line", () => {
    const lines = EXAMPLE.split("\n");
    const target = lines.findIndex((l) => l.includes("- cosmos: {") && l.endsWith(" }"));
    lines[target] = lines[target].slice(0, -2);
    const d = only(lines.join("\n"));
    expect(d).toMatchObject({ code: "E_YAML", line: target + 1, column: lines[target].length + 1 });
  });

  it("reports an unclosed quote where the file ends, on a line that holds it", () => {
    const cut = EXAMPLE.indexOf("${claims.tid}") + 5;
    const d = YamlSource.parse("p.yaml", EXAMPLE.slice(0, cut) + "\n\n\n").diagnostics[0];
    expect(d.code).toBe("E_YAML");
    expect(d.line).toBe(EXAMPLE.slice(0, cut).split("\n").length);
  });

  it("runs the whole check on such a file without throwing", () => {
    for (const text of ["- ".repeat(5000) + "x\n", "roles: *r\n", `${EXAMPLE}\nextra: &e [*e]\n`]) {
      const found = diagnose(filesInMemory(text));
      expect(found.length).toBeGreaterThan(0);
      expect(found.every((d) => d.file === "mem/policy.yaml" && d.line >= 1 && d.column >= 1)).toBe(true);
    }
  });
});
