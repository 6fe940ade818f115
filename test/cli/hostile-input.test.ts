/**
 * No input to a CLI command prints a stack trace or ends in anything but a documented exit code (issue #19, class 3).
 * fast-check picks a command, flags and hostile files (malformed, empty, binary, deep, aliased YAML and JSON, missing
 * paths, directories); main() runs in-process with the real commands, and once as the real binary.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { EXIT_INTERNAL, main } from "../../lib/cli/main";
import { ROOT } from "../policy/helpers";

const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

const dir = mkdtempSync(join(tmpdir(), "tb-hostile-cli-"));
const hostile: Record<string, string | Buffer> = {
  "empty.yaml": "",
  "null.yaml": "null\n",
  "list.yaml": "- 1\n- 2\n",
  "scalar.yaml": "just text\n",
  "broken.yaml": "a: { b: [\n",
  "alias.yaml": "a: &x [1]\nb: *x\nc: *nowhere\n",
  "deep.yaml": "- ".repeat(5000) + "x\n",
  "binary.bin": Buffer.from([0, 255, 254, 0x1b, 0x5b, 0x41, 10, 0xc3, 0x28]),
  "json-garbage.json": '{"a": [1, 2,',
  "json-null.json": "null",
  "json-array.json": "[1, {}]",
  "jsonl-garbage.jsonl": '{"v":1}\nnot json\n{"subject":',
  "claims-weird.yaml": "iss: [1]\nroles: { a: 1 }\ntid: 12\n",
};
for (const [name, content] of Object.entries(hostile)) writeFileSync(join(dir, name), content);
// Policy directories whose policy.yaml is hostile (the commands take a directory).
for (const name of ["broken.yaml", "alias.yaml", "deep.yaml", "null.yaml", "list.yaml", "binary.bin", "empty.yaml"]) {
  const d = join(dir, `dir-${name}`);
  mkdirSync(d);
  writeFileSync(join(d, "policy.yaml"), hostile[name]);
}
const paths = [
  ...Object.keys(hostile).map((n) => join(dir, n)),
  join(dir, "dir-broken.yaml"),
  join(dir, "dir-alias.yaml"),
  join(dir, "dir-deep.yaml"),
  join(dir, "dir-null.yaml"),
  join(dir, "dir-binary.bin"),
  join(dir, "missing"),
  dir,
  join(ROOT, "policies"),
];

const value = fc.oneof(
  fc.constantFrom(...paths),
  fc.constantFrom("dev", "prod", "nope", "", "-", "--", "x.y.z", '{"type":"cosmos"}', "{", "null", "[]"),
  fc.string({ maxLength: 12 }),
);
const flag = fc.constantFrom(
  "--json",
  "--env",
  "--out",
  "--infra",
  "--claims",
  "--token",
  "--token-file",
  "--request",
  "--issuer",
  "--log",
  "--hash-key-file",
  "--key",
  "--resource-groups",
  "--fail-on-widen",
  "--outputs",
  "--stack",
  "--now",
);
const command = fc.constantFrom(
  ["policy", "check"],
  ["policy", "compile"],
  ["policy", "test"],
  ["policy", "explain"],
  ["policy", "diff"],
  ["policy", "replay"],
  ["policy", "nonsense"],
  ["cdn", "encrypt"],
  ["cdn", "decrypt"],
  ["env", "expired"],
  ["env", "comment"],
  ["bogus"],
  [],
);
const mixed = fc.tuple(command, fc.array(fc.oneof(flag, value), { maxLength: 7 })).map(([c, rest]) => [...c, ...rest]);
// Shaped like real invocations, so the generator reaches past argument parsing into the commands themselves.
const file = fc.constantFrom(...paths);
const env = fc.constantFrom("dev", "prod", "nope");
const json = fc.constantFrom([], ["--json"]);
const shaped = fc.oneof(
  fc.tuple(file, json).map(([d, j]) => ["policy", "check", d, ...j]),
  fc.tuple(file, env, json).map(([d, e, j]) => ["policy", "compile", d, "--env", e, ...j]),
  fc.tuple(file, json).map(([d, j]) => ["policy", "test", d, ...j]),
  fc
    .tuple(file, env, fc.constantFrom("--claims", "--token-file", "--token"), fc.oneof(file, value), fc.option(value))
    .map(([d, e, how, src, req]) => ["policy", "explain", d, "--env", e, how, src, ...(req ? ["--request", req] : [])]),
  fc.tuple(file, file).map(([a, b]) => ["policy", "diff", a, b]),
  fc.tuple(file, file, file).map(([log, a, b]) => ["policy", "replay", "--log", log, a, b]),
  fc.tuple(fc.constantFrom("encrypt", "decrypt"), value, value).map(([c, k, p]) => ["cdn", c, "--key", k, p]),
  file.map((f) => ["env", "expired", "--resource-groups", f]),
  fc.tuple(file, value).map(([f, st]) => ["env", "comment", "--outputs", f, "--stack", st]),
);
const argv = fc.oneof(mixed, shaped);

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, text: [...out, ...err].join("\n"), err: err.join("\n") };
}

describe("hostile input to the CLI", () => {
  it("every command answers every input with a documented exit code and no stack trace", async () => {
    const before = process.cwd();
    process.chdir(dir); // --out and --infra write here, never into the checkout
    try {
      await fc.assert(
        fc.asyncProperty(argv, async (args) => {
          const r = await run(args);
          expect([0, 1, 2, 3]).toContain(r.code);
          expect(r.text).not.toMatch(STACK_FRAME);
        }),
        { numRuns: 300, seed: 19 },
      );
    } finally {
      process.chdir(before);
    }
  });

  it.each([
    [["policy", "check", join(dir, "dir-alias.yaml")], 1, /E_YAML_ALIAS/],
    [["policy", "check", join(dir, "dir-deep.yaml")], 1, /E_YAML_LIMIT/],
    [["policy", "explain", "--env", "dev", "--claims", join(dir, "null.yaml"), join(ROOT, "policies")], 2, /claims/],
    [["policy", "explain", "--env", "dev", "--claims", join(dir, "broken.yaml"), join(ROOT, "policies")], 2, /E_YAML/],
    [
      ["policy", "explain", "--env", "dev", "--claims", join(dir, "alias.yaml"), join(ROOT, "policies")],
      2,
      /alias\.yaml:1:4 .*E_YAML_ALIAS/,
    ],
    [
      ["policy", "explain", "--env", "dev", "--claims", join(dir, "deep.yaml"), join(ROOT, "policies")],
      2,
      /E_YAML_LIMIT/,
    ],
    [["policy", "explain", "--env", "dev", "--claims", join(dir, "missing"), join(ROOT, "policies")], 2, /ENOENT/],
  ])("%j exits %d and says what is wrong", async (args, code, text) => {
    const r = await run(args);
    expect(r.code).toBe(code);
    expect(r.text).toMatch(text);
    expect(r.text).not.toMatch(STACK_FRAME);
  });

  it("an internal error is exit 70 with one line; --debug adds the stack", async () => {
    const failingOut = () => {
      throw new TypeError("the output stream broke");
    };
    const err: string[] = [];
    const code = await main(["policy", "check", join(ROOT, "policies")], failingOut, (s) => err.push(s));
    expect(code).toBe(EXIT_INTERNAL);
    expect(err.join("\n")).toContain("internal error: the output stream broke");
    expect(err.join("\n")).not.toMatch(STACK_FRAME);
    const debugErr: string[] = [];
    const again = await main(["policy", "check", "--debug", join(ROOT, "policies")], failingOut, (s) =>
      debugErr.push(s),
    );
    expect(again).toBe(EXIT_INTERNAL);
    expect(debugErr.join("\n")).toMatch(STACK_FRAME);
  });

  it("the real binary: a policy that used to crash check is a positioned error, exit 1, no stack", () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "lib", "cli", "token-broker.cjs"), "policy", "check", join(dir, "dir-deep.yaml")],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/policy\.yaml:1:\d+ error E_YAML_LIMIT/);
    expect(r.stdout + r.stderr).not.toMatch(STACK_FRAME);
  });
});
