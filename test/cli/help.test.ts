/**
 * CLI conventions: every command in the table answers `--help`, `-h` and `help <command>` with its usage and exit
 * codes on stdout (exit 0) instead of running; `--version`; an unknown command names the nearest one on stderr
 * (exit 2); nothing is coloured. The real binary is run once per stream to see stdout and stderr apart.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../lib/cli/main";
import { COMMANDS } from "../../lib/cli/command-table";
import { ROOT } from "../policy/helpers";

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

const BIN = join(ROOT, "lib", "cli", "token-broker.cjs");

describe.each(COMMANDS.map((c) => [c.path.join(" "), c] as const))("token-broker %s", (_name, spec) => {
  it.each([["--help"], ["-h"]])("%s prints its usage and exit codes and exits 0", async (flag) => {
    const { code, out, err } = await run([...spec.path, flag]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.startsWith(`usage: ${spec.usage}\n`)).toBe(true);
    expect(out).toContain("exit codes:");
    expect(out).toMatch(/^ {2}2 {3}usage/m);
    for (const [exit] of spec.exits ?? []) expect(out).toMatch(new RegExp(`^  ${exit} `, "m"));
  });

  it("help after other arguments, and `help <command>`, print the same", async () => {
    const { out } = await run([...spec.path, "--help"]);
    expect((await run([...spec.path, "--json", "x", "--help"])).out).toBe(out);
    expect((await run(["help", ...spec.path])).out).toBe(out);
  });
});

it("the table lists every command main() dispatches", () => {
  const source = readFileSync(join(ROOT, "lib", "cli", "main.ts"), "utf8");
  const dispatched = [...source.matchAll(/group === "([a-z]+)"/g)].map((m) => m[1]);
  expect(dispatched.length).toBeGreaterThan(5);
  const groups = new Set(COMMANDS.map((c) => c.path[0]));
  expect(dispatched.filter((g) => !groups.has(g))).toEqual([]);
});

it("--help and help list every command; a bare group lists its commands on stderr with exit 2", async () => {
  const top = await run(["--help"]);
  expect(top.code).toBe(0);
  for (const spec of COMMANDS) expect(top.out).toContain(spec.path.join(" "));
  expect(top.out).toMatch(/^ {2}70 {2}internal error/m);
  expect((await run(["help"])).out).toBe(top.out);
  const bare = await run(["cdn"]);
  expect(bare).toMatchObject({ code: 2, out: "" });
  expect(bare.err).toContain("cdn decrypt");
  expect(await run(["policy", "--help"])).toMatchObject({ code: 0, err: "" });
  expect((await run([])).code).toBe(2);
});

it.each([
  [["polcy", "check"], "did you mean 'policy'?"],
  [["revok"], "did you mean 'revoke'?"],
  [["policy", "chek"], "did you mean 'check'?"],
  [["policy", "tset"], "did you mean 'test'?"],
  [["cdn", "enc"], "did you mean 'encrypt'?"],
])("%j names the nearest command", async (argv, hint) => {
  const { code, out, err } = await run(argv);
  expect({ code, out }).toEqual({ code: 2, out: "" });
  expect(err).toContain(hint);
});

it("a name far from every command lists them instead of guessing", async () => {
  const { code, err } = await run(["frobnicate"]);
  expect(code).toBe(2);
  expect(err).not.toContain("did you mean");
  expect(err).toContain("commands: ");
});

it("help is not taken from after `--` (a token or value may be anything)", async () => {
  const { code, out } = await run(["cdn", "decrypt", "--key", "k", "--", "--help"]);
  expect(code).toBe(1);
  expect(out).not.toContain("usage:");
});

describe("the real binary", () => {
  const exec = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...env } });

  it("--version prints the package version on stdout", () => {
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
    expect(execFileSync(process.execPath, [BIN, "--version"], { encoding: "utf8" })).toBe(`token-broker ${version}\n`);
  });

  it("revoke --help answers on stdout; an unknown command on stderr; nothing is coloured", () => {
    const help = exec(["revoke", "--help"], { FORCE_COLOR: "1" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: token-broker revoke/);
    expect(help.stderr).toBe("");
    const wrong = exec(["polciy"], { NO_COLOR: "1" });
    expect(wrong.status).toBe(2);
    expect(wrong.stdout).toBe("");
    expect(wrong.stderr).toContain("did you mean 'policy'?");
    // eslint-disable-next-line no-control-regex
    expect(help.stdout + wrong.stderr).not.toMatch(/\u001b\[/);
  });
});
