/** `token-broker policy replay --log <file> <base> <head> [--env <name>] [--hash-key-file <f>] [--json]`. */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatDiagnostic } from "../policy/authoring/errors";
import { loadSide } from "../policy/review/compare";
import { replayFile, ReplayError } from "../policy/review/replay";
import { formatReplay } from "../policy/review/replay-report";
import { ReviewUsageError } from "./review-command";

type Print = (s: string) => void;

/**
 * Exit codes: 0 no recorded caller gains access and replay could decide every role; 1 a side has errors; 2 usage;
 * 3 a recorded caller would gain; 4 no gain found, but some role reads claims the records do not hold, so replay
 * cannot tell (docs/replay.md). 3 wins over 4.
 */
export function replayCommand(argv: string[], out: Print, err: Print): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        log: { type: "string" },
        env: { type: "string" },
        "hash-key-file": { type: "string" },
        json: { type: "boolean" },
      },
    });
  } catch (e) {
    throw new ReviewUsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (!values.log || positionals.length !== 2)
    throw new ReviewUsageError("policy replay needs --log <file> <base> <head>");
  const base = loadSide(positionals[0]);
  const head = loadSide(positionals[1]);
  if (!base.bundle || !head.bundle) {
    for (const d of [...base.diagnostics, ...head.diagnostics]) if (d.severity === "error") err(formatDiagnostic(d));
    return 1;
  }
  const hashKey = values["hash-key-file"] ? readFileSync(values["hash-key-file"]) : undefined;
  let report;
  try {
    report = replayFile(values.log, base.bundle, head.bundle, { environment: values.env, hashKey });
  } catch (e) {
    if (e instanceof ReplayError) throw new ReviewUsageError(e.message);
    throw e;
  }
  out(values.json ? JSON.stringify(report, null, 2) : formatReplay(report));
  return report.gains.length > 0 ? 3 : report.cannotTell.length > 0 ? 4 : 0;
}
