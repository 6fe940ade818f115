/**
 * What `token-broker` answers before any command runs: `-h`/`--help` anywhere (or `help <command>`) prints that
 * command's usage to stdout and exits 0; `--version` prints the version; an unknown or missing command goes to
 * stderr with exit 2 and, when one is close, the nearest name. The text comes from command-table.ts.
 * The CLI never colours its output, so NO_COLOR (no-color.org) holds without a switch.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS, COMMON_EXITS, type CommandSpec } from "./command-table";

export interface EarlyAnswer {
  stream: "out" | "err";
  text: string;
  code: number;
}

const HELP_FLAGS = new Set(["-h", "--help"]);

export function version(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
  return `token-broker ${manifest.version}`;
}

function exitCodes(spec?: CommandSpec): string {
  const codes = [...COMMON_EXITS, ...(spec?.exits ?? (spec ? [] : allCommandExits()))].sort((a, b) => a[0] - b[0]);
  return codes.map(([code, meaning]) => `  ${String(code).padEnd(3)} ${meaning}`).join("\n");
}

/** The codes beyond the common ones, once each, with the commands that use them. */
function allCommandExits(): [number, string][] {
  const byCode = new Map<number, string[]>();
  for (const spec of COMMANDS)
    for (const [code] of spec.exits ?? []) byCode.set(code, [...(byCode.get(code) ?? []), spec.path.join(" ")]);
  const meaning: Record<number, string> = {
    1: "problems found (policy errors, failing tests, a failed check)",
    3: "access widened",
  };
  return [...byCode].map(([code, commands]) => [
    code,
    `${meaning[code] ?? "see the command's --help"}: ${commands.join(", ")}`,
  ]);
}

function table(rows: [string, string][]): string {
  const width = Math.min(40, Math.max(...rows.map(([left]) => left.length)));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join("\n");
}

export function topUsage(): string {
  return [
    "usage: token-broker <command> [options]",
    "",
    "commands:",
    table(COMMANDS.map((c) => [c.path.join(" "), c.summary])),
    "",
    "Run `token-broker <command> --help` for a command's options.",
    table([
      ["-h, --help", "show help (also: token-broker help <command>)"],
      ["--version", "print the version"],
    ]),
    "",
    "exit codes:",
    exitCodes(),
  ].join("\n");
}

export function groupUsage(group: string): string {
  const members = COMMANDS.filter((c) => c.path[0] === group);
  return [
    `usage: token-broker ${group} <command> [options]`,
    "",
    "commands:",
    table(members.map((c) => [c.path.join(" "), c.summary])),
    "",
    `Run \`token-broker ${group} <command> --help\` for a command's options.`,
  ].join("\n");
}

export function commandHelp(spec: CommandSpec): string {
  const options: [string, string][] = [...(spec.options ?? []), ["-h, --help", "show this help"]];
  return [
    `usage: ${spec.usage}`,
    "",
    spec.summary,
    "",
    "options:",
    table(options),
    "",
    "exit codes:",
    exitCodes(spec),
  ].join("\n");
}

/** Optimal string alignment distance: edits, with a swap of two neighbours counting as one ("plicy" -> "policy"). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/** The nearest name, if it is close enough to be what was meant (at most a third of its letters off, or a prefix). */
export function nearest(word: string, names: string[]): string | undefined {
  const ranked = names
    .map((name) => ({ name, distance: name.startsWith(word) && word.length >= 2 ? 0.5 : editDistance(word, name) }))
    .sort((x, y) => x.distance - y.distance);
  const best = ranked[0];
  return best && best.distance <= Math.max(1, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

function unknown(what: string, word: string, names: string[], helpCommand: string): EarlyAnswer {
  const near = nearest(word, names);
  const hint = near ? `; did you mean '${near}'?` : `; commands: ${names.join(", ")}`;
  return { stream: "err", text: `unknown command '${what}'${hint}\nRun \`${helpCommand}\` for usage.`, code: 2 };
}

/** An answer when the arguments ask for help or the version or name no command; undefined: run the command. */
export function answerConventions(argv: string[]): EarlyAnswer | undefined {
  const end = argv.indexOf("--");
  const before = end < 0 ? argv : argv.slice(0, end);
  let words = argv;
  let help = before.some((a) => HELP_FLAGS.has(a));
  if (argv[0] === "help") {
    help = true;
    words = argv.slice(1);
  }
  if (argv[0] === "--version" && argv.length === 1) return { stream: "out", text: version(), code: 0 };
  words = words.filter((a) => !HELP_FLAGS.has(a));
  const [group, command] = words;
  if (group === undefined || group.startsWith("-")) {
    if (help) return { stream: "out", text: topUsage(), code: 0 };
    return { stream: "err", text: group ? `unknown option '${group}'\n${topUsage()}` : topUsage(), code: 2 };
  }
  const groups = [...new Set(COMMANDS.map((c) => c.path[0]))];
  if (!groups.includes(group)) return unknown(group, group, groups, "token-broker --help");
  const single = COMMANDS.find((c) => c.path.length === 1 && c.path[0] === group);
  if (single) return help ? { stream: "out", text: commandHelp(single), code: 0 } : undefined;
  if (command === undefined || command.startsWith("-")) {
    return help
      ? { stream: "out", text: groupUsage(group), code: 0 }
      : { stream: "err", text: groupUsage(group), code: 2 };
  }
  const spec = COMMANDS.find((c) => c.path[0] === group && c.path[1] === command);
  if (!spec) {
    const names = COMMANDS.filter((c) => c.path[0] === group).map((c) => c.path[1]);
    return unknown(`${group} ${command}`, command, names, `token-broker ${group} --help`);
  }
  return help ? { stream: "out", text: commandHelp(spec), code: 0 } : undefined;
}
