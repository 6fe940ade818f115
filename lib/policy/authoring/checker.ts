/** Collects diagnostics for one source file; the semantic checks report through it. */
import type { DiagnosticCode, PolicyDiagnostic, Severity } from "./errors";
import type { JsonPath, YamlSource } from "./yaml-source";

export class Checker {
  readonly diagnostics: PolicyDiagnostic[] = [];
  constructor(readonly source: YamlSource) {}

  report(
    code: DiagnosticCode,
    path: JsonPath,
    message: string,
    hint: string,
    options: { key?: boolean; severity?: Severity; offset?: number } = {},
  ): void {
    const at =
      options.offset !== undefined
        ? this.source.positionInString(path, options.offset)
        : this.source.positionOf(path, { key: options.key });
    this.diagnostics.push({ ...at, code, severity: options.severity ?? "error", message, hint, path });
  }
}
