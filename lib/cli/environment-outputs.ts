/**
 * The ephemeral environment's PR comment, from `cdktf deploy --outputs-file`: `{ "<stack id>": { "<output>": value } }`.
 * Outputs are endpoints and the policy hash (the stack declares no sensitive output); a value that is not a plain
 * string or number is left out rather than printed.
 */
import { ownValue } from "../policy/runtime/own";

export const ENVIRONMENT_MARKER = "<!-- token-broker:ephemeral-env -->";

export function renderEnvironmentComment(
  outputs: unknown,
  stackId: string,
  details: { expiresOn?: string; runUrl?: string; smoke?: string } = {},
): string {
  const stack = ownValue(outputs as Record<string, Record<string, unknown>> | null, stackId);
  if (typeof stack !== "object" || stack === null) throw new Error(`the outputs file has no stack '${stackId}'`);
  const rows = Object.entries(stack)
    .filter(([, v]) => typeof v === "string" || typeof v === "number")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `| ${k} | \`${String(v).replace(/[`|]/g, "")}\` |`);
  const lines = [ENVIRONMENT_MARKER, `## Ephemeral environment \`${stackId.replace(/^broker-/, "")}\` is up`, ""];
  if (details.smoke) lines.push(`Smoke test: ${details.smoke}`, "");
  lines.push("| Output | Value |", "|---|---|", ...rows, "");
  const footer = [
    details.expiresOn
      ? `Destroyed when this pull request closes, or after ${details.expiresOn} (its \`expires-on\` tag).`
      : "Destroyed when this pull request closes.",
  ];
  if (details.runUrl) footer.push(`[Deployment run](${details.runUrl})`);
  return `${lines.join("\n")}\n${footer.join(" · ")}\n`;
}
