/**
 * JSON.parse keeps the last of duplicate keys, so `{"sub":"alice","sub":"admin"}` means different things to
 * different parsers. A token whose header or payload repeats a key is refused outright.
 */
export function hasDuplicateKeys(json: string): boolean {
  const stack: Set<string>[] = [];
  // Per open container: is it an object, and are we expecting a key next?
  const kinds: ("object" | "array")[] = [];
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === "{") {
      kinds.push("object");
      stack.push(new Set());
      expectKey = true;
    } else if (ch === "[") {
      kinds.push("array");
      expectKey = false;
    } else if (ch === "}" || ch === "]") {
      if (kinds.pop() === "object") stack.pop();
      expectKey = false;
    } else if (ch === ",") {
      expectKey = kinds[kinds.length - 1] === "object";
    } else if (ch === '"') {
      // Find the closing quote without copying; only keys with escapes need decoding.
      let j = i + 1;
      let escaped = false;
      while (j < json.length && json[j] !== '"') {
        if (json[j] === "\\") {
          escaped = true;
          j += 2;
        } else j++;
      }
      if (expectKey) {
        // Compare decoded keys: "\u0073ub" and "sub" are the same key.
        let key = json.slice(i + 1, j);
        if (escaped) {
          try {
            key = JSON.parse(`"${key}"`) as string;
          } catch {
            return true; // malformed; the caller's JSON.parse reports it too
          }
        }
        const seen = stack[stack.length - 1];
        if (seen.has(key)) return true;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    }
  }
  return false;
}
