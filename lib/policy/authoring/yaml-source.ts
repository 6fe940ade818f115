/**
 * A YAML document that remembers where every value came from, so a diagnostic can name file:line:column.
 * Paths are JSON paths (["roles", "reader", "grants", 0, "cosmos", "ttl"]).
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { PolicyDiagnostic, SourcePosition } from "./errors";

export type JsonPath = (string | number)[];

export class YamlSource {
  private constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text`; YAML syntax errors (including duplicate keys) come back as diagnostics. */
  static parse(file: string, text: string): { source?: YamlSource; diagnostics: PolicyDiagnostic[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const diagnostics: PolicyDiagnostic[] = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      const duplicate = e.code === "DUPLICATE_KEY";
      return {
        file,
        line: pos.line,
        column: pos.col,
        code: duplicate ? "E_DUPLICATE" : "E_YAML",
        severity: "error",
        message: duplicate ? "the same key appears twice in one mapping" : firstLine(e.message),
        hint: duplicate
          ? "YAML keeps only one of them; rename one (role and container names are unique) or merge the two entries"
          : "fix the YAML syntax at this position (indentation, a missing ':' or an unclosed quote are the usual causes)",
        path: [],
      };
    });
    if (diagnostics.length > 0) return { diagnostics };
    return { source: new YamlSource(file, doc.toJS({ maxAliasCount: 50 }), doc, lines), diagnostics };
  }

  /**
   * Where the value at `path` starts; with `key: true`, where its key starts (better for "unknown property").
   * Falls back to the nearest ancestor that exists, so every diagnostic gets a real position.
   */
  positionOf(path: JsonPath, options: { key?: boolean } = {}): SourcePosition {
    let node: unknown = this.doc.contents;
    let best: number | undefined = rangeStart(node);
    for (let i = 0; i < path.length; i++) {
      const step = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(step));
        if (!pair) break;
        const keyStart = rangeStart(pair.key);
        if (last && options.key && keyStart !== undefined) {
          best = keyStart;
          break;
        }
        node = pair.value;
        best = rangeStart(node) ?? keyStart ?? best;
      } else if (isSeq(node) && typeof step === "number") {
        node = node.items[step];
        best = rangeStart(node) ?? best;
      } else {
        break;
      }
    }
    const at = this.lines.linePos(best ?? 0);
    return { file: this.file, line: at.line, column: at.col };
  }

  /** Position of character `offset` inside the one-line string at `path` (for a placeholder in a template). */
  positionInString(path: JsonPath, offset: number): SourcePosition {
    const node = nodeAt(this.doc, path);
    const start = isScalar(node) && node.range ? node.range[0] : undefined;
    if (start === undefined) return this.positionOf(path);
    const quoted = isScalar(node) && (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE");
    const at = this.lines.linePos(start + offset + (quoted ? 1 : 0));
    return { file: this.file, line: at.line, column: at.col };
  }
}

/** Shared by positionOf and positionInString. */
function nodeAt(doc: Document, path: JsonPath): unknown {
  return doc.getIn(path, true);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function firstLine(message: string): string {
  return message.split("\n")[0];
}
