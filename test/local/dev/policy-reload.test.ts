/**
 * A dev reload that fails for any reason keeps the last good policy serving (issue #19, class 3): the files that
 * used to throw out of the reload (and end `npm run dev`) are positioned diagnostics, and whatever a reload throws
 * reaches the failure callback instead of the process.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileLocal, watchPolicy } from "../../../lib/local/dev/local-policy";
import { EXAMPLE_DIR } from "../../policy/helpers";

const ISSUER = "http://127.0.0.1:1/issuer";
const ORIGIN = "http://127.0.0.1:2";

function policyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tb-reload-"));
  cpSync(EXAMPLE_DIR, dir, { recursive: true });
  return dir;
}

const original = readFileSync(join(EXAMPLE_DIR, "policy.yaml"), "utf8");
const hostileEdits: [string, (text: string) => string][] = [
  ["an anchor used by 60 aliases", (t) => `${t}\nx-shared: &s [1]\nx-uses: [${Array(60).fill("*s").join(", ")}]\n`],
  ["an undefined alias", (t) => t.replace('documents: "*"', "documents: *nowhere")],
  ["block nesting 3,000 deep", (t) => `${t}\nx-deep:\n${"  - ".repeat(1) + "- ".repeat(3000)}x\n`],
  ["a 2 MB file", (t) => `${t}\n# ${"x".repeat(2_000_000)}\n`],
];

describe("a dev reload of a hostile policy", () => {
  it.each(hostileEdits)("%s is refused with a position, not thrown", (_, edit) => {
    const dir = policyDir();
    writeFileSync(join(dir, "policy.yaml"), edit(original));
    const outcome = compileLocal(dir, ISSUER, ORIGIN);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.diagnostics.length).toBeGreaterThan(0);
    for (const d of outcome.diagnostics) {
      expect(d.file).toBe(join(dir, "policy.yaml"));
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
    }
  });

  it("the unedited copy compiles (so the refusals above come from the edits)", () => {
    expect(compileLocal(policyDir(), ISSUER, ORIGIN).ok).toBe(true);
  });

  it("hands whatever a reload throws to the failure callback, and keeps watching", async () => {
    const dir = policyDir();
    const failures: unknown[] = [];
    let reloads = 0;
    const saved = () => new Promise((resolve) => setTimeout(resolve, 600));
    const watcher = watchPolicy(
      dir,
      () => {
        reloads++;
        if (reloads === 1) throw new RangeError("a reload broke");
      },
      (e) => failures.push(e),
    );
    try {
      writeFileSync(join(dir, "policy.yaml"), `${original}\n# first save\n`);
      await saved();
      expect(failures).toEqual([expect.objectContaining({ message: "a reload broke" })]);
      writeFileSync(join(dir, "policy.yaml"), `${original}\n# second save\n`);
      await saved();
      expect(reloads).toBe(2);
      expect(failures).toHaveLength(1);
    } finally {
      watcher.close();
    }
  });
});
