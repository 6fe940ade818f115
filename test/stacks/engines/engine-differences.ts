/**
 * What may differ between the same app synthesized under cdktf 0.21 and under CDK Terrain, and why. Everything else
 * must be equal: resource types, names (logical ids), attribute values, outputs, backends, annotations, assets.
 * Each entry's expected values are read from the installed packages, not written down, so a version bump shows up
 * as a changed value here rather than as a silently accepted one. docs/cdk-terrain.md lists the same ids; the
 * comparison test checks that it does.
 */
import type { EngineSynth } from "./synth-app";

export type Path = readonly string[];

export interface Difference {
  /** `<stack id>` or `manifest`, then the JSON path. */
  where: Path;
  cdktf: unknown;
  cdktn: unknown;
}

export interface ExplainedDifference {
  id: string;
  /** The JSON path, `*` for any one segment; the first segment is the stack id or `manifest`. */
  path: Path;
  /** The values each engine must produce there (read from installed package metadata). */
  expected: { cdktf: unknown; cdktn: unknown };
  why: string;
}

const pkg = (name: string) => require(`${name}/package.json`) as Record<string, any>;

/** The provider version a prebuilt binding was generated from (package.json `cdktf` / `cdktn` `.provider.version`). */
export function bindingProviderVersion(binding: string, engine: "cdktf" | "cdktn"): string {
  const version = pkg(binding)[engine]?.provider?.version;
  if (typeof version !== "string") throw new Error(`${binding}: no ${engine}.provider.version in its package.json`);
  return version;
}

export function explainedDifferences(): ExplainedDifference[] {
  return [
    {
      id: "engine-version",
      path: ["*", "//", "metadata", "version"],
      expected: { cdktf: pkg("cdktf").version, cdktn: pkg("cdktn").version },
      why: "each engine stamps its own library version into the stack metadata; Terraform ignores `//` keys",
    },
    {
      id: "manifest-version",
      path: ["manifest", "version"],
      expected: { cdktf: pkg("cdktf").version, cdktn: pkg("cdktn").version },
      why: "manifest.json records the engine version for the CLI that reads it",
    },
    {
      id: "azurerm-provider-version",
      path: ["*", "terraform", "required_providers", "azurerm", "version"],
      expected: {
        cdktf: bindingProviderVersion("@cdktf/provider-azurerm", "cdktf"),
        cdktn: bindingProviderVersion("@cdktn/provider-azurerm", "cdktn"),
      },
      why:
        "a prebuilt binding pins the exact provider release it was generated from (terraformGeneratorMetadata." +
        "providerVersion wins over its `~> 4.0` constraint), so `terraform init` installs azurerm 4.55.0 under cdktf " +
        "and 4.73.0 under cdktn",
    },
  ];
}

/** Left out of the comparison, each for a stated reason (docs/cdk-terrain.md, "Not compared"). */
export const NOT_COMPARED: { path: Path; why: string }[] = [
  {
    // The annotation itself (level, message, construct path) is compared.
    path: ["manifest", "stacks", "*", "annotations", "*", "stacktrace"],
    why: "annotation stack traces name the engine's own source files (node_modules/cdktf/lib/*.ts, cdktn/src/*.ts)",
  },
];

/** Every leaf where the two JSON values differ (a key on one side only counts, with `undefined` on the other). */
export function diffJson(a: unknown, b: unknown, where: Path = []): Difference[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => diffJson(a[k], b[k], [...where, k]));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    return Array.from({ length: n }, (_, i) => diffJson(a[i], b[i], [...where, String(i)])).flat();
  }
  return Object.is(a, b) ? [] : [{ where, cdktf: a, cdktn: b }];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function matches(pattern: Path, where: Path): boolean {
  return pattern.length === where.length && pattern.every((p, i) => p === "*" || p === where[i]);
}

/** `where` is `pattern` or lies below it. */
function isUnder(pattern: Path, where: Path): boolean {
  return where.length >= pattern.length && matches(pattern, where.slice(0, pattern.length));
}

export interface EngineComparison {
  /** Differences no entry explains: each one fails the test. */
  unexplained: Difference[];
  /** Explained entries that never occurred: the list (and docs/cdk-terrain.md) is stale. */
  unseen: string[];
  /** Explained differences by entry id. */
  explained: Record<string, Difference[]>;
}

/** Compares two syntheses of the same app: stack by stack, the manifest, and the other files written. */
export function compareSyntheses(
  cdktf: EngineSynth,
  cdktn: EngineSynth,
  list = explainedDifferences(),
): EngineComparison {
  const all = [
    ...diffJson(cdktf.manifest, cdktn.manifest, ["manifest"]),
    ...diffJson(cdktf.stacks, cdktn.stacks),
    ...diffJson(cdktf.files, cdktn.files, ["files"]),
  ];
  const result: EngineComparison = { unexplained: [], unseen: [], explained: {} };
  for (const d of all) {
    if (NOT_COMPARED.some((n) => isUnder(n.path, d.where))) continue;
    const entry = list.find(
      (e) => matches(e.path, d.where) && Object.is(e.expected.cdktf, d.cdktf) && Object.is(e.expected.cdktn, d.cdktn),
    );
    if (entry) (result.explained[entry.id] ??= []).push(d);
    else result.unexplained.push(d);
  }
  result.unseen = list.filter((e) => !result.explained[e.id]).map((e) => e.id);
  return result;
}

/** One line per difference, for a failing assertion's message. */
export function describeDifferences(differences: Difference[]): string {
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
  return differences.map((d) => `${d.where.join(".")}: cdktf ${show(d.cdktf)} / cdktn ${show(d.cdktn)}`).join("\n");
}
