/**
 * Environments: `dev`, `prod`, ... and ephemeral ones. An entry with `stage: ephemeral` named `pr` stands for every
 * `pr-<n>` (n = 1..99999), a throw-away environment per pull request.
 */
import { ownValue } from "../runtime/own";
import type { EnvironmentSource, Scalar, Stage } from "./source-types";

export interface ResolvedEnvironment {
  /** The concrete name: `dev`, `prod`, `pr-42`. */
  name: string;
  /** The entry it comes from: `dev`, `prod`, `pr`. */
  entry: string;
  stage: Stage;
  /** Declared values plus the built-ins `name` and `stage`. */
  values: Record<string, Scalar>;
  /** Web origins allowed to call from a browser (CORS); none by default. */
  allowedOrigins: string[];
}

export const BUILT_IN_VALUES = ["name", "stage"];
const INSTANCE = /^([a-z][a-z0-9]{0,7})-([1-9][0-9]{0,4})$/;

export class UnknownEnvironmentError extends Error {
  readonly code = "ERR_UNKNOWN_ENVIRONMENT";
  constructor(name: string, known: string[]) {
    super(`unknown environment '${name}'; known: ${known.join(", ")}`);
  }
}

export function resolveEnvironment(entries: Record<string, EnvironmentSource>, name: string): ResolvedEnvironment {
  const direct = ownValue(entries, name);
  if (direct && direct.stage !== "ephemeral") return build(name, name, direct);
  const m = INSTANCE.exec(name);
  const base = m ? ownValue(entries, m[1]) : undefined;
  if (m && base && base.stage === "ephemeral") return build(name, m[1], base);
  throw new UnknownEnvironmentError(name, environmentNames(entries));
}

/** Names for listing and for checks: concrete names, and `<entry>-<n>` for ephemeral entries. */
export function environmentNames(entries: Record<string, EnvironmentSource>): string[] {
  return Object.entries(entries).map(([k, e]) => (e.stage === "ephemeral" ? `${k}-<n>` : k));
}

/** One concrete environment per entry (ephemeral entries as `<entry>-1`): what `check` and `diff` compile. */
export function representativeEnvironments(entries: Record<string, EnvironmentSource>): ResolvedEnvironment[] {
  return Object.entries(entries).map(([k, e]) => build(e.stage === "ephemeral" ? `${k}-1` : k, k, e));
}

function build(name: string, entry: string, source: EnvironmentSource): ResolvedEnvironment {
  return {
    name,
    entry,
    stage: source.stage,
    values: { ...source.values, name, stage: source.stage },
    allowedOrigins: source.allowedOrigins ?? [],
  };
}
