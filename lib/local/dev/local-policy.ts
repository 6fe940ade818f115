/**
 * The `local` environment's policy, compiled from policies/ with the issuer and demo origin `npm run dev` listens on,
 * and kept current: on every save it is recompiled; a broken edit is reported with file:line:column and the last good
 * policy keeps serving; the fix reloads.
 */
import { ownValue } from "../../policy/runtime/own";
import { watch, type FSWatcher } from "node:fs";
import { relative } from "node:path";
import { checkLoadedPolicy } from "../../policy/authoring/checked-policy";
import { compilePolicy } from "../../policy/authoring/compile";
import { formatDiagnostic, type PolicyDiagnostic } from "../../policy/authoring/errors";
import { loadPolicy, type PolicyBundle } from "../../policy/authoring/load";
import { filesOnDisk } from "../../policy/authoring/policy-files";
import type { InfraNeeds } from "../../policy/authoring/infra-needs";
import type { RuntimeConfig } from "../../policy/runtime/runtime-config";

export const LOCAL_ENVIRONMENT = "local";

/** `infra`: what the `local` environment's stack would provision (the local CDN edge runs its Front Door rules). */
export type CompileOutcome =
  { ok: true; config: RuntimeConfig; infra: InfraNeeds } | { ok: false; diagnostics: PolicyDiagnostic[] };

/**
 * The issuer URL and the demo page's origin are where `npm run dev` actually listens. The broker's CORS origins are
 * the demo page's, then those `local.allowedOrigins` lists (your own app's), then `extraOrigins` (`--origin`).
 */
export function compileLocal(
  policyDir: string,
  issuerUrl: string,
  demoOrigin: string,
  extraOrigins: readonly string[] = [],
): CompileOutcome {
  const loaded = loadPolicy(filesOnDisk(policyDir));
  if (!loaded.bundle) return { ok: false, diagnostics: loaded.diagnostics.filter((d) => d.severity === "error") };
  const entry = ownValue(loaded.bundle.environments.entries, LOCAL_ENVIRONMENT);
  if (!entry) {
    const at = {
      file: relative(process.cwd(), policyDir) || ".",
      line: 1,
      column: 1,
      severity: "error" as const,
      path: [],
    };
    return {
      ok: false,
      diagnostics: [
        {
          ...at,
          code: "E_ENVIRONMENT",
          message: "environments.yaml has no `local` environment",
          hint: "add `local: { stage: development, values: { localIssuer: ... } }`",
        },
      ],
    };
  }
  const bundle: PolicyBundle = {
    ...loaded.bundle,
    environments: {
      ...loaded.bundle.environments,
      entries: {
        ...loaded.bundle.environments.entries,
        [LOCAL_ENVIRONMENT]: {
          ...entry,
          allowedOrigins: [...new Set([demoOrigin, ...(entry.allowedOrigins ?? []), ...extraOrigins])],
          values: { ...entry.values, localIssuer: issuerUrl },
        },
      },
    },
  };
  // Checked after the ports are filled in, so the issuer URL and origin the broker trusts pass every check too.
  const checked = checkLoadedPolicy({ ...loaded, bundle });
  if (!checked.ok) return { ok: false, diagnostics: checked.diagnostics.filter((d) => d.severity === "error") };
  const { config, infra } = compilePolicy(checked.policy, LOCAL_ENVIRONMENT);
  return { ok: true, config, infra };
}

export interface PolicyWatcher {
  close(): void;
}

/**
 * Calls `onChange` (debounced) after any file in the policy directory is saved. Whatever `onChange` throws goes to
 * `onFailure`: a reload runs in a timer, where an exception would end `npm run dev` instead of keeping the last good
 * policy serving.
 */
export function watchPolicy(
  policyDir: string,
  onChange: () => void,
  onFailure: (error: unknown) => void,
): PolicyWatcher {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    try {
      onChange();
    } catch (e) {
      onFailure(e);
    }
  };
  const watchers: FSWatcher[] = [policyDir, `${policyDir}/tests`].flatMap((dir) => {
    try {
      return [
        watch(dir, () => {
          clearTimeout(timer);
          timer = setTimeout(reload, 150);
        }),
      ];
    } catch {
      return [];
    }
  });
  return { close: () => (clearTimeout(timer), watchers.forEach((w) => w.close())) };
}

export function describeProblems(diagnostics: PolicyDiagnostic[]): string {
  return diagnostics.map(formatDiagnostic).join("\n");
}
