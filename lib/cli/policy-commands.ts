/** `token-broker policy check|compile|test|explain|diff`. Thin: parse arguments, call lib/policy, print. */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { AccessRequestError, parseAccessRequests } from "../policy/runtime/access-request";
import { loadCheckedPolicy, type CheckedPolicy } from "../policy/authoring/checked-policy";
import { compilePolicy } from "../policy/authoring/compile";
import { compilePairs } from "../policy/review/compare";
import { diffPolicies, formatDiffMarkdown } from "../policy/review/diff";
import { environmentNames, UnknownEnvironmentError } from "../policy/authoring/environments";
import { formatDiagnostic, type PolicyDiagnostic } from "../policy/authoring/errors";
import { explain, formatExplanation } from "../policy/review/explain";
import type { DocumentOwner } from "../policy/runtime/document-owner";
import { filesAtRevision, filesOnDisk, isGitRevision } from "../policy/authoring/policy-files";
import { loadTestFiles, runPolicyTests } from "../policy/review/policy-test";
import { YamlSource } from "../policy/authoring/yaml-source";
import { findPolicyDir, PolicyDirError } from "./policy-dir";
import { replayCommand } from "./replay-command";
import { reviewCommand, ReviewUsageError } from "./review-command";

type Print = (s: string) => void;

const DEFAULT_DIR = "policies";

export async function runPolicyCommand(command: string, argv: string[], out: Print, err: Print): Promise<number> {
  try {
    switch (command) {
      case "check":
        return check(argv, out);
      case "compile":
        return compile(argv, out, err);
      case "test":
        return test(argv, out);
      case "explain":
        return explainCommand(argv, out, err);
      case "diff":
        return diff(argv, out, err);
      case "review":
        return reviewCommand(argv, out);
      case "replay":
        return replayCommand(argv, out, err);
      default:
        err(`unknown command 'policy ${command}'; try: check, compile, test, explain, diff, review, replay`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof UnknownEnvironmentError || e instanceof ReviewUsageError) {
      err(e.message);
      return 2;
    }
    throw e;
  }
}

class UsageError extends Error {}

function policyDir(positional: string | undefined, flag: unknown): string {
  try {
    return findPolicyDir(positional, typeof flag === "string" ? flag : undefined);
  } catch (e) {
    if (e instanceof PolicyDirError) throw new UsageError(e.message);
    throw e;
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;
const JSON_FLAG = { json: { type: "boolean" }, policies: { type: "string" } } as const;

function args<T extends Options>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...JSON_FLAG, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Loads and checks; prints diagnostics; returns the bundle only when there are no errors. */
function loadChecked(
  target: string,
  json: boolean,
  out: Print,
  spec = target,
): { bundle?: CheckedPolicy; diagnostics: PolicyDiagnostic[] } {
  const files = isGitRevision(spec) ? filesAtRevision(spec, DEFAULT_DIR) : filesOnDisk(target);
  const loaded = loadCheckedPolicy(files);
  if (!json) for (const d of loaded.diagnostics) out(formatDiagnostic(d));
  return { bundle: loaded.ok ? loaded.policy : undefined, diagnostics: loaded.diagnostics };
}

function check(argv: string[], out: Print): number {
  const { values, positionals } = args(argv, {});
  const target = policyDir(positionals[0], values.policies);
  const json = values.json === true;
  const { bundle, diagnostics } = loadChecked(target, json, out);
  // Test files are part of the policy: a malformed one is a check failure, not a surprise at `policy test`.
  const testProblems: PolicyDiagnostic[] = [];
  if (bundle) loadTestFiles(bundle, testProblems);
  if (!json) for (const d of testProblems) out(formatDiagnostic(d));
  const all = [...diagnostics, ...testProblems];
  const errors = all.filter((d) => d.severity === "error").length;
  if (json) out(JSON.stringify({ ok: errors === 0, diagnostics: all }, null, 2));
  else if (bundle && errors === 0) {
    const doc = bundle.document;
    out(
      `ok: ${bundle.files.policyFile}: ${Object.keys(doc.roles).length} roles, ${Object.keys(doc.issuers).length} issuer(s), environments ${environmentNames(bundle.environments.entries).join(", ")}, ${bundle.files.testFiles.length} test file(s)`,
    );
  } else out(`${errors} error(s)`);
  return errors === 0 ? 0 : 1;
}

function compile(argv: string[], out: Print, err: Print): number {
  const { values, positionals } = args(argv, {
    env: { type: "string" },
    out: { type: "string" },
    infra: { type: "string" },
  });
  if (!values.env) throw new UsageError("policy compile needs --env <name> (e.g. dev, prod, pr-42)");
  const { bundle } = loadChecked(policyDir(positionals[0], values.policies), false, err);
  if (!bundle) return 1;
  const compiled = compilePolicy(bundle, values.env);
  const configJson = JSON.stringify(compiled.config, null, 2) + "\n";
  const infraJson = JSON.stringify(compiled.infra, null, 2) + "\n";
  if (values.out) writeFileSync(values.out, configJson);
  if (values.infra) writeFileSync(values.infra, infraJson);
  if (values.json || !values.out)
    out(
      values.json ? JSON.stringify({ config: compiled.config, infra: compiled.infra }, null, 2) : configJson.trimEnd(),
    );
  else
    out(
      `wrote ${values.out}${values.infra ? ` and ${values.infra}` : ""} (${compiled.config.environment.name}, ${compiled.config.policyHash})`,
    );
  return 0;
}

function test(argv: string[], out: Print): number {
  const { values, positionals } = args(argv, {});
  const json = values.json === true;
  const { bundle } = loadChecked(policyDir(positionals[0], values.policies), json, out);
  if (!bundle) return 1;
  const report = runPolicyTests(bundle);
  if (json) {
    out(JSON.stringify(report, null, 2));
  } else {
    for (const d of report.diagnostics) out(formatDiagnostic(d));
    for (const r of report.results) {
      out(`${r.passed ? "✔" : "✘"} [${r.environment}] ${r.name}  (${r.file}:${r.line})`);
      for (const p of r.problems) out(`    ${p}`);
    }
    out(`${report.passed} passed, ${report.failed} failed`);
  }
  if (bundle.files.testFiles.length === 0) {
    if (!json) out("no policy tests found (add <dir>/tests/*.yaml)");
    return 1;
  }
  return report.failed === 0 && report.diagnostics.length === 0 ? 0 : 1;
}

function explainCommand(argv: string[], out: Print, err: Print): number {
  const { values, positionals } = args(argv, {
    env: { type: "string" },
    token: { type: "string" },
    "token-file": { type: "string" },
    claims: { type: "string" },
    issuer: { type: "string" },
    request: { type: "string", multiple: true },
    owner: { type: "string", multiple: true },
  });
  if (!values.env) throw new UsageError("policy explain needs --env <name>");
  const sources = [values.token, values["token-file"], values.claims].filter((v) => v !== undefined);
  if (sources.length !== 1) throw new UsageError("policy explain needs exactly one of --token, --token-file, --claims");
  const { bundle } = loadChecked(policyDir(positionals[0], values.policies), false, err);
  if (!bundle) return 1;
  const { config } = compilePolicy(bundle, values.env);
  const parsedClaims: unknown = values.claims
    ? claimsFile(values.claims)
    : decodeJwtPayload(values.token ?? readFileSync(values["token-file"]!, "utf8").trim());
  if (typeof parsedClaims !== "object" || parsedClaims === null || Array.isArray(parsedClaims))
    throw new UsageError("the claims (--claims file or token payload) must be a mapping of claim names to values");
  const claims = parsedClaims as Record<string, unknown>;
  const issuer =
    values.issuer ??
    config.issuers.find((i) => i.issuers.includes(String(claims.iss)))?.name ??
    (config.issuers.length === 1 ? config.issuers[0].name : undefined);
  if (!issuer) throw new UsageError("cannot tell the issuer from the claims' iss; pass --issuer <name>");
  let requests;
  try {
    requests = values.request ? parseAccessRequests({ requests: values.request.map((r) => JSON.parse(r)) }) : undefined;
  } catch (e) {
    if (e instanceof AccessRequestError || e instanceof SyntaxError) throw new UsageError(`--request: ${e.message}`);
    throw e;
  }
  const explanation = explain(config, { issuer, claims }, requests, documentOwners(values.owner ?? [], issuer));
  if (!values.json && (values.token || values["token-file"]))
    out("note: the token's signature is NOT verified by explain; the broker verifies it.");
  out(values.json ? JSON.stringify(explanation, null, 2) : formatExplanation(explanation));
  return 0;
}

/** A claims file, read with the policy's YAML subset (no aliases, bounded size and depth): a refusal is positioned. */
function claimsFile(file: string): unknown {
  const parsed = YamlSource.parse(file, readFileSync(file, "utf8"));
  if (!parsed.source) throw new UsageError(`--claims: ${formatDiagnostic(parsed.diagnostics[0])}`);
  return parsed.source.value;
}

/** `--owner '{"documentId":"…","tenant":"…","creator":"…"}'`: a Fluid document's recorded owner, as the broker would look it up. */
function documentOwners(given: string[], issuer: string): Map<string, DocumentOwner> {
  const owners = new Map<string, DocumentOwner>();
  for (const text of given) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`--owner: ${(e as Error).message}`);
    }
    const str = (k: string) => (typeof o?.[k] === "string" && o[k] !== "" ? (o[k] as string) : undefined);
    const [documentId, tenant, creator] = [str("documentId"), str("tenant"), str("creator")];
    if (!documentId || !tenant || !creator)
      throw new UsageError(
        '--owner needs {"documentId": "...", "tenant": "...", "creator": "..."} (and optionally "issuer")',
      );
    owners.set(documentId, { tenant, creator, issuer: str("issuer") ?? issuer });
  }
  return owners;
}

/** The JWT payload, unverified (explain is a review tool; the broker verifies signatures). */
function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw new UsageError("--token is not a JWT (three base64url parts)");
  try {
    return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    throw new UsageError("--token has a payload that is not base64url JSON");
  }
}

function diff(argv: string[], out: Print, err: Print): number {
  const { values, positionals } = args(argv, { env: { type: "string" }, "fail-on-widen": { type: "boolean" } });
  if (positionals.length !== 2)
    throw new UsageError("policy diff needs <base> <head> (directories or git revisions such as main, HEAD)");
  const [baseSpec, headSpec] = positionals;
  const side = (spec: string) => loadChecked(spec, false, err, spec).bundle;
  const base = side(baseSpec);
  const head = side(headSpec);
  if (!base || !head) return 1;
  const result = diffPolicies(compilePairs(base, head, values.env));
  out(values.json ? JSON.stringify(result, null, 2) : formatDiffMarkdown(result, base.files.label, head.files.label));
  return values["fail-on-widen"] && result.widens ? 3 : 0;
}
