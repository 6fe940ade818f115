/**
 * `parseArgs` for a command: its refusal (an unknown or malformed option) is reported through `report` and comes
 * back as undefined, so the command answers usage (exit 2) instead of throwing into the top-level handler.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export function parseCommandArgs<T extends ParseArgsConfig>(
  config: T,
  report: (message: string) => void,
): ReturnType<typeof parseArgs<T>> | undefined {
  try {
    return parseArgs(config);
  } catch (e) {
    report((e as Error).message);
    return undefined;
  }
}
