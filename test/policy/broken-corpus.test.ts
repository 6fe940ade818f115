/**
 * Every file in broken/ is test/policy/fixtures/minimal.yaml with exactly one defect, and states on its first line
 * the one diagnostic it must produce: `# expect: <code> <line>:<column> <text in the message or hint>`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { formatDiagnostic } from "../../lib/policy/authoring/errors";
import { filesOnDisk } from "../../lib/policy/authoring/policy-files";
import { diagnose, ROOT } from "./helpers";

const DIR = join(__dirname, "broken");
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

describe("broken policy corpus", () => {
  it("has at least 25 broken files", () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  it("starts from a base that is valid", () => {
    expect(diagnose(filesOnDisk(join(__dirname, "fixtures", "minimal.yaml")))).toEqual([]);
  });

  it.each(files)("%s fails with its expected file:line:column and message", (file) => {
    const path = join(DIR, file);
    const header = /^# expect: ([EW]_[A-Z_]+) (\d+):(\d+) (.+)$/.exec(readFileSync(path, "utf8").split("\n")[0]);
    expect(header).not.toBeNull();
    const [, code, line, column, text] = header!;
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const found = diagnose(filesOnDisk(relative(ROOT, path)));
      expect(found.map(formatDiagnostic)).toHaveLength(1);
      const d = found[0];
      expect({ code: d.code, line: d.line, column: d.column, file: d.file }).toEqual({
        code,
        line: Number(line),
        column: Number(column),
        file: `test/policy/broken/${file}`,
      });
      expect(`${d.message} | ${d.hint}`).toContain(text);
      expect(d.hint.length).toBeGreaterThan(10);
    } finally {
      process.chdir(cwd);
    }
  });
});
