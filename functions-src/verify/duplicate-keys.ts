/**
 * JSON.parse keeps the last of duplicate keys, so `{"sub":"alice","sub":"admin"}` means different things to
 * different parsers. A token (or Easy Auth principal) whose JSON repeats a key is refused outright.
 *
 * How, without a second parser: in JSON that parses, every ':' outside a string literal separates one member from
 * its value, and JSON.parse keeps one property per distinct key of an object. So the text repeats a key (however
 * spelled: "\u0073ub" is "sub") exactly when it has more name separators than the parsed value has keys.
 * Counting is one pass over char codes with no allocation: cheaper than collecting key names (issue 12).
 */
export class DuplicateKeyError extends Error {
  constructor() {
    super("the JSON repeats a key");
    this.name = "DuplicateKeyError";
  }
}

/** JSON.parse, refusing repeated keys: throws SyntaxError for text that does not parse, else DuplicateKeyError. */
export function parseWithoutDuplicateKeys(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (nameSeparators(text) !== keyCount(value)) throw new DuplicateKeyError();
  return value;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** ':' characters outside string literals (the text is valid JSON, so every string is closed). */
function nameSeparators(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === COLON) n++;
    else if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    }
  }
  return n;
}

/** Own keys of every object in a parsed value (JSON.parse makes plain objects; "__proto__" is an own key there). */
function keyCount(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) n += keyCount(item);
    return n;
  }
  for (const key of Object.keys(value)) n += 1 + keyCount((value as Record<string, unknown>)[key]);
  return n;
}
