/**
 * A YAML document that remembers where every value came from, so a diagnostic can name file:line:column.
 * Paths are JSON paths (["roles", "reader", "grants", 0, "cosmos", "ttl"]).
 *
 * The policy YAML subset (docs/policy-language.md "The YAML subset"): one document of at most YAML_LIMITS.maxChars
 * characters, nested at most YAML_LIMITS.maxDepth levels, without anchors or aliases. Each limit is refused with a
 * positioned diagnostic before anything recurses over the document: `yaml` composes and converts nodes recursively,
 * so very deep nesting overflows the stack, and its alias expansion throws a ReferenceError past `maxAliasCount` or on
 * an undefined alias (/work/shared/facts.md "YAML").
 */
import {
  Composer,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  type CST,
  type Document,
  type Node,
  YAMLParseError,
  type YAMLError,
} from "yaml";
import type { DiagnosticCode, PolicyDiagnostic, SourcePosition } from "./errors";

export type JsonPath = (string | number)[];

export const YAML_LIMITS = {
  /**
   * A policy of a few hundred roles is well under 100 KiB; a bigger file is a mistake or an attack. `yaml` spends
   * about 0.1 ms on each stray token, so this also bounds how long the worst file of stray brackets takes (~2 s).
   */
  maxChars: 256 * 1024,
  /** Syntax errors reported per file: one mistake can make thousands, and the first few say where to look. */
  maxErrors: 20,
  /** The policy language nests about 12 levels (conditions add a few per all/any/not); 64 leaves room. */
  maxDepth: 64,
};

export class YamlSource {
  private constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text`; YAML syntax errors, duplicate keys and the subset's limits come back as diagnostics. */
  static parse(
    file: string,
    text: string,
    maxChars = YAML_LIMITS.maxChars,
  ): { source?: YamlSource; diagnostics: PolicyDiagnostic[] } {
    // Line starts come from the text itself: the parser's newline callback misses newlines inside flow collections.
    const lines = new LineCounter();
    lineCounterUpTo(lines, text, text.length);
    const at = (offset: number): SourcePosition => {
      const pos = lines.linePos(offset);
      return { file, line: pos.line, column: pos.col };
    };
    if (text.length > maxChars) {
      return {
        diagnostics: [
          limit(
            at(maxChars),
            `the file is longer than ${maxChars} characters`,
            "remove what the policy does not need (roles that differ only in a value are usually one role with a " +
              "template); the bound keeps a hostile file from stalling the tools",
          ),
        ],
      };
    }
    const tokens = tokenize(text);
    if ("tooDeep" in tokens) {
      return {
        diagnostics: [
          limit(
            at(tokens.tooDeep),
            `the YAML nests deeper than ${YAML_LIMITS.maxDepth} levels`,
            "flatten the structure; no part of the policy language needs this much nesting",
          ),
        ],
      };
    }
    const composer = new Composer({ uniqueKeys: true });
    let doc: Document | undefined;
    for (const d of composer.compose(tokens.list, true, text.length)) {
      if (!doc) doc = d;
      else {
        doc.errors.push(multipleDocuments(d));
        break;
      }
    }
    if (!doc) return { diagnostics: [] }; // unreachable: compose(…, true) always yields a document
    const first = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0]).slice(0, YAML_LIMITS.maxErrors);
    const diagnostics: PolicyDiagnostic[] = first.map((e) => syntaxProblem(e, text, at));
    diagnostics.push(...subsetProblems(doc, text, at));
    if (diagnostics.length > 0) return { diagnostics: sortByPosition(diagnostics) };
    return { source: new YamlSource(file, doc.toJS(), doc, lines), diagnostics };
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

/**
 * Lexes and parses without recursion (`yaml`'s Lexer and Parser keep explicit stacks), stopping as soon as the
 * parser holds more open nodes than the depth limit allows, so composing (which recurses) never sees deep input.
 */
function tokenize(text: string): { list: CST.Token[] } | { tooDeep: number } {
  const parser = new Parser();
  const list: CST.Token[] = [];
  // Open nodes on the parser's stack: the document, each collection, and at most one scalar being read.
  const maxStack = YAML_LIMITS.maxDepth + 2;
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) list.push(token);
    if (parser.stack.length > maxStack) {
      // stack[0] is the document, stack[i] the i-th open node: report the first one past the bound.
      return { tooDeep: Math.min(parser.stack[YAML_LIMITS.maxDepth + 1].offset, text.length) };
    }
  }
  for (const token of parser.end()) list.push(token);
  return { list };
}

/** The line starts up to `end`, so an offset there has a line and column. */
function lineCounterUpTo(lines: LineCounter, text: string, end: number): void {
  lines.addNewLine(0);
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
}

/**
 * Anchors, aliases and collections nested deeper than the limit, found by walking the composed document with an
 * explicit stack (the parser's stack bounds depth only roughly; this count is exact). One diagnostic per anchor
 * (counting its aliases) and per alias that names no anchor, so a hundred aliases make one message, not a hundred.
 */
function subsetProblems(doc: Document, text: string, at: (offset: number) => SourcePosition): PolicyDiagnostic[] {
  const problems: PolicyDiagnostic[] = [];
  const anchors = new Map<string, { offset: number; uses: number }>();
  const pending: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (pending.length > 0 && problems.length < 20) {
    const { node, depth } = pending.pop()!;
    const start = rangeStart(node) ?? 0;
    if (isAlias(node)) {
      const anchor = anchors.get(node.source);
      if (anchor) anchor.uses++;
      else
        problems.push(
          aliasProblem(
            at(start),
            `the alias *${node.source} refers to no anchor before it (and aliases are not part of the policy YAML subset)`,
            "write the value out where it is used; roles share grants through `inherits`",
          ),
        );
      continue;
    }
    const anchor = (node as Node | null)?.anchor;
    // A node's range starts after its properties: find the `&name` that precedes it.
    if (anchor !== undefined && !anchors.has(anchor))
      anchors.set(anchor, { offset: Math.max(text.lastIndexOf(`&${anchor}`, start), 0), uses: 0 });
    if (!isCollection(node)) continue;
    if (depth + 1 > YAML_LIMITS.maxDepth) {
      problems.push(
        limit(
          at(start),
          `the YAML nests deeper than ${YAML_LIMITS.maxDepth} levels`,
          "flatten the structure; no part of the policy language needs this much nesting",
        ),
      );
      continue;
    }
    // Pushed last item first, so the walk follows document order (an anchor comes before its aliases).
    for (let i = node.items.length - 1; i >= 0; i--) {
      const item: unknown = node.items[i];
      if (isPair(item)) {
        pending.push({ node: item.value, depth: depth + 1 });
        pending.push({ node: item.key, depth: depth + 1 });
      } else pending.push({ node: item, depth: depth + 1 });
    }
  }
  for (const [name, { offset, uses }] of anchors) {
    problems.push(
      aliasProblem(
        at(offset),
        `the anchor &${name}${uses > 0 ? ` (used by ${uses} alias${uses === 1 ? "" : "es"})` : ""} is not part of the policy YAML subset: anchors and aliases are refused`,
        "remove the anchor and write the value out where each alias stands; roles share grants through `inherits`",
      ),
    );
  }
  return problems.slice(0, 20);
}

function limit(pos: SourcePosition, message: string, hint: string): PolicyDiagnostic {
  return problem("E_YAML_LIMIT", pos, message, hint);
}

function aliasProblem(pos: SourcePosition, message: string, hint: string): PolicyDiagnostic {
  return problem("E_YAML_ALIAS", pos, message, hint);
}

function problem(code: DiagnosticCode, pos: SourcePosition, message: string, hint: string): PolicyDiagnostic {
  return { ...pos, code, severity: "error", message, hint, path: [] };
}

function multipleDocuments(d: Document): YAMLParseError {
  const [start, end] = d.range ?? [0, 0];
  return new YAMLParseError([start, end], "MULTIPLE_DOCS", "Source contains multiple documents");
}

function syntaxProblem(e: YAMLError, text: string, at: (offset: number) => SourcePosition): PolicyDiagnostic {
  const duplicate = e.code === "DUPLICATE_KEY";
  const multiple = e.code === "MULTIPLE_DOCS";
  return problem(
    duplicate ? "E_DUPLICATE" : "E_YAML",
    at(syntaxOffset(e, text)),
    duplicate
      ? "the same key appears twice in one mapping"
      : multiple
        ? "the file holds more than one YAML document ('---')"
        : firstLine(e.message),
    duplicate
      ? "YAML keeps only one of them; rename one (role and container names are unique) or merge the two entries"
      : multiple
        ? "keep one document per file: remove the '---' line and what follows, or move it to its own file"
        : "fix the YAML syntax at this position (indentation, a missing ':' or an unclosed quote are the usual causes)",
  );
}

/**
 * Where a syntax error is. `yaml` reports something missing at the end of a construct (an unclosed flow map, a quote)
 * at the next token, which may sit on a later line or past the end of the file; the author needs the end of the
 * content before it, the place where the missing character belongs. Other errors may start where a node's leading
 * blank or comment lines start; the author needs the node's first token.
 */
function syntaxOffset(e: YAMLError, text: string): number {
  const offset = Math.min(Math.max(e.pos[0], 0), text.length);
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const atLineStart = isBlank(text.slice(lineStart, offset));
  const missing = e.code === "MISSING_CHAR" || offset >= text.length || /end with a|closing/.test(e.message);
  if (missing && atLineStart) return endOfContentBefore(text, offset) ?? offset;
  // A key that runs over several lines usually ends on the line that broke it (a re-indented or tab-indented line
  // turned it into a continuation): point at that line's content.
  const end = Math.min(Math.max(e.pos[1], offset), text.length);
  const lastLineStart = text.lastIndexOf("\n", end - 1) + 1;
  const implicitKey = e.code === "MULTILINE_IMPLICIT_KEY" || /implicit map keys/i.test(e.message);
  if (implicitKey && lastLineStart > offset) return startOfContentFrom(text, lastLineStart) ?? offset;
  const lineEnd = text.indexOf("\n", offset);
  if (isBlank(text.slice(offset, lineEnd < 0 ? text.length : lineEnd)) && (atLineStart || offset === lineStart))
    return startOfContentFrom(text, offset) ?? endOfContentBefore(text, offset) ?? offset;
  return offset;
}

/** Nothing but whitespace, or a comment after it. */
function isBlank(piece: string): boolean {
  const t = piece.trim();
  return t === "" || t.startsWith("#");
}

/** The first character of content (not whitespace, not a comment line) at or after `offset`. */
function startOfContentFrom(text: string, offset: number): number | undefined {
  let start = offset;
  while (start < text.length) {
    const end = text.indexOf("\n", start);
    const line = text.slice(start, end < 0 ? text.length : end);
    if (!isBlank(line)) return start + (line.length - line.trimStart().length);
    if (end < 0) return undefined;
    start = end + 1;
  }
  return undefined;
}

/** The offset just after the last character of content (not whitespace, not a comment line) before `offset`. */
function endOfContentBefore(text: string, offset: number): number | undefined {
  let end = offset;
  while (end > 0) {
    const lineStart = text.lastIndexOf("\n", end - 1) + 1;
    const content = text.slice(lineStart, end).trimEnd();
    if (content.trim() !== "" && !content.trimStart().startsWith("#")) return lineStart + content.length;
    end = lineStart - 1;
  }
  return undefined;
}

function sortByPosition(list: PolicyDiagnostic[]): PolicyDiagnostic[] {
  return list.sort((a, b) => a.line - b.line || a.column - b.column);
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
