/**
 * Policy tests (`policies/tests/*.yaml`): given claims and requests, the exact credentials and denials expected.
 * Each case runs in each environment it names (default: one per environment entry), through the same
 * compile + evaluate path the broker uses.
 */
import { ownValue } from "../runtime/own";
import { canonicalJson } from "../authoring/canonical-json";
import { AccessRequestError, parseAccessRequests } from "../runtime/access-request";
import { compilePolicy } from "../authoring/compile";
import { parseDuration } from "../authoring/duration";
import { representativeEnvironments, resolveEnvironment, UnknownEnvironmentError } from "../authoring/environments";
import type { PolicyDiagnostic } from "../authoring/errors";
import { createEvaluator, type Evaluator, type GrantedCredential } from "../runtime/evaluate";
import type { CheckedPolicy } from "../authoring/checked-policy";
import { loadFile, type PolicyBundle } from "../authoring/load";
import { substituteEnv } from "../runtime/template";
import type { DocumentOwner } from "../runtime/document-owner";
import type { YamlSource } from "../authoring/yaml-source";

interface TestFile {
  environments?: string[];
  personas?: Record<string, { issuer?: string; claims: Record<string, unknown> }>;
  /** Recorded owners of Fluid documents, by id (owner-scoped grants read them); `issuer` defaults to the case's. */
  documents?: Record<string, { tenant: string; creator: string; issuer?: string }>;
  cases: TestCase[];
}

interface TestCase {
  name: string;
  as?: string;
  issuer?: string;
  claims?: Record<string, unknown>;
  environments?: string[];
  requests: unknown[];
  expect: { roles?: string[]; credentials?: Record<string, unknown>[]; denied?: { request: number; reason: string }[] };
}

export interface CaseResult {
  file: string;
  line: number;
  name: string;
  environment: string;
  passed: boolean;
  problems: string[];
}

export interface PolicyTestReport {
  diagnostics: PolicyDiagnostic[];
  results: CaseResult[];
  passed: number;
  failed: number;
}

export function runPolicyTests(bundle: CheckedPolicy): PolicyTestReport {
  const diagnostics: PolicyDiagnostic[] = [];
  const results: CaseResult[] = [];
  const evaluators = new Map<string, Evaluator>();
  const evaluatorFor = (env: string) => {
    let e = evaluators.get(env);
    if (!e) {
      e = createEvaluator(compilePolicy(bundle, env).config);
      evaluators.set(env, e);
    }
    return e;
  };
  for (const source of loadTestFiles(bundle, diagnostics)) {
    const tests = source.value as TestFile;
    tests.cases.forEach((tc, i) => {
      const envs =
        tc.environments ??
        tests.environments ??
        representativeEnvironments(bundle.environments.entries).map((e) => e.name);
      for (const env of envs) results.push(runCase(bundle, source, tests, tc, i, env, evaluatorFor));
    });
  }
  const passed = results.filter((r) => r.passed).length;
  return { diagnostics, results, passed, failed: results.length - passed };
}

/** Parses and schema-validates the test files without running them (what `policy check` needs). */
export function loadTestFiles(bundle: PolicyBundle, diagnostics: PolicyDiagnostic[]): YamlSource[] {
  return bundle.files.testFiles
    .map((file) => loadFile(bundle.files, file, "policy-test", diagnostics))
    .filter((s): s is YamlSource => s !== undefined);
}

function runCase(
  bundle: PolicyBundle,
  source: YamlSource,
  file: TestFile,
  tc: TestCase,
  index: number,
  envName: string,
  evaluatorFor: (env: string) => Evaluator,
): CaseResult {
  const at = source.positionOf(["cases", index]);
  const result: CaseResult = {
    file: at.file,
    line: at.line,
    name: tc.name,
    environment: envName,
    passed: false,
    problems: [],
  };
  const fail = (p: string) => {
    result.problems.push(p);
    return result;
  };
  let env;
  try {
    env = resolveEnvironment(bundle.environments.entries, envName);
  } catch (e) {
    if (e instanceof UnknownEnvironmentError) return fail(e.message);
    throw e;
  }
  const persona = tc.as ? ownValue(file.personas, tc.as) : undefined;
  if (tc.as && !persona) return fail(`unknown persona '${tc.as}'`);
  // Only the issuers this environment trusts (`issuers.<name>.environments`) can sign its callers' tokens.
  const issuers = Object.entries(bundle.document.issuers)
    .filter(([, i]) => i.environments === undefined || i.environments.includes(env.entry))
    .map(([n]) => n);
  const issuer = tc.issuer ?? persona?.issuer ?? (issuers.length === 1 ? issuers[0] : undefined);
  if (!issuer) return fail("the policy has several issuers: name one with `issuer:`");
  const fill = (v: unknown): unknown =>
    typeof v === "string"
      ? substituteEnv(v, env.values)
      : Array.isArray(v)
        ? v.map(fill)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]))
          : v;
  const claims = fill({ ...persona?.claims, ...tc.claims }) as Record<string, unknown>;

  let requests;
  try {
    requests = parseAccessRequests({ requests: fill(tc.requests) });
  } catch (e) {
    if (e instanceof AccessRequestError) return fail(`request ${e.message}`);
    throw e;
  }
  const owners = new Map<string, DocumentOwner>();
  for (const [id, o] of Object.entries(file.documents ?? {})) {
    const filled = fill(o) as { tenant: string; creator: string; issuer?: string };
    owners.set(id, { tenant: filled.tenant, creator: filled.creator, issuer: filled.issuer ?? issuer });
  }
  const decision = evaluatorFor(envName).evaluate({ issuer, claims }, requests, owners);

  if (tc.expect.roles && canonicalJson(tc.expect.roles) !== canonicalJson(decision.roles)) {
    result.problems.push(`roles: expected ${JSON.stringify(tc.expect.roles)}, got ${JSON.stringify(decision.roles)}`);
  }
  const expected = (fill(tc.expect.credentials ?? []) as Record<string, unknown>[]).map(normalizeExpected);
  const actual = decision.credentials.map(shapeOf);
  if (canonicalJson(expected) !== canonicalJson(actual)) {
    result.problems.push(
      `credentials:\n      expected ${canonicalJson(expected)}\n      got      ${canonicalJson(actual)}`,
    );
  }
  const expectedDenied = (tc.expect.denied ?? []).map((d) => ({ request: d.request, reason: d.reason }));
  const actualDenied = decision.denied.map((d) => ({ request: d.request, reason: d.reason }));
  if (canonicalJson(expectedDenied) !== canonicalJson(actualDenied)) {
    result.problems.push(`denied: expected ${canonicalJson(expectedDenied)}, got ${canonicalJson(actualDenied)}`);
  }
  result.passed = result.problems.length === 0;
  return result;
}

/** The reviewable shape of a credential: what it is scoped to and for how long (ttl in seconds). */
export function shapeOf(c: GrantedCredential): Record<string, unknown> {
  switch (c.type) {
    case "cosmos":
      return {
        type: c.type,
        container: c.container,
        partitionKey: c.partitionKey,
        access: c.access,
        ttl: c.ttlSeconds,
      };
    case "fluid":
      return { type: c.type, documentId: c.documentId, scopes: c.scopes, ttl: c.ttlSeconds };
    case "cdn":
      return { type: c.type, path: c.path, bindClientIp: c.bindClientIp, protocol: c.protocol, ttl: c.ttlSeconds };
  }
}

/** Expected credentials may leave out the CDN defaults (bindClientIp false, protocol https); nothing else. */
function normalizeExpected(e: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...e, ttl: parseDuration(e.ttl) ?? e.ttl };
  if (e.type === "cdn") {
    out.bindClientIp ??= false;
    out.protocol ??= "https";
  }
  if (e.type === "fluid" && Array.isArray(e.scopes)) out.scopes = [...e.scopes].sort();
  return out;
}
