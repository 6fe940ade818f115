/**
 * The path of a request target, read without the WHATWG URL parser: `new URL(target, base)` throws on targets such
 * as `//` (a protocol-relative reference with an empty host), and one throw in an adapter must never end a process.
 * Only origin-form (RFC 9112 section 3.2.1: a path starting with `/`) names a broker route; absolute-form,
 * authority-form and asterisk-form (`*`) are answered 400 by the adapters.
 */
export function originFormPath(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith("/")) return undefined;
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}

/** The path of an absolute URL as the Functions host passes it, or undefined when it does not parse. */
export function absoluteUrlPath(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}
