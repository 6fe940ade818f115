/**
 * What a caller asks the broker for. Parsed from untrusted JSON: every field is checked, unknown fields are
 * refused, and an error names the JSON pointer and the rule, never the offending value.
 */
import type { CosmosAccess, FluidScope } from "./runtime-config";
import { nonAsciiReason, unsafeValueReason } from "./template";

export type AccessRequest =
  | { type: "cosmos"; container: string; partitionKey?: string; access?: CosmosAccess; ttl?: number }
  | { type: "fluid"; documentId?: string; create?: boolean; scopes?: FluidScope[]; ttl?: number }
  | { type: "cdn"; path: string; ttl?: number };

export const MAX_REQUESTS = 16;
const MAX_PATH = 1024;
const FLUID_SCOPES: readonly string[] = ["doc:read", "doc:write", "summary:write"];

export class AccessRequestError extends Error {
  readonly code = "ERR_INVALID_REQUEST";
  constructor(
    readonly pointer: string,
    detail: string,
  ) {
    super(`${pointer || "/"}: ${detail}`);
    this.name = "AccessRequestError";
  }
}

/** `{"requests": [...]}` -> typed requests, or throws AccessRequestError. */
export function parseAccessRequests(body: unknown): AccessRequest[] {
  if (!isObject(body)) throw new AccessRequestError("", "the body must be a JSON object with a `requests` array");
  onlyKeys(body, ["requests"], "");
  const list = body.requests;
  if (!Array.isArray(list) || list.length === 0) throw new AccessRequestError("/requests", "must be a non-empty array");
  if (list.length > MAX_REQUESTS)
    throw new AccessRequestError("/requests", `at most ${MAX_REQUESTS} requests per call`);
  return list.map((item, i) => parseOne(item, `/requests/${i}`));
}

function parseOne(item: unknown, at: string): AccessRequest {
  if (!isObject(item)) throw new AccessRequestError(at, "must be an object");
  const ttl = optionalTtl(item.ttl, `${at}/ttl`);
  switch (item.type) {
    case "cosmos": {
      onlyKeys(item, ["type", "container", "partitionKey", "access", "ttl"], at);
      const container = requiredName(item.container, `${at}/container`);
      let partitionKey: string | undefined;
      if (item.partitionKey !== undefined) {
        partitionKey = item.partitionKey === "*" ? "*" : safeValue(item.partitionKey, `${at}/partitionKey`);
      }
      if (item.access !== undefined && item.access !== "read" && item.access !== "all") {
        throw new AccessRequestError(`${at}/access`, 'must be "read" or "all"');
      }
      return strip({ type: "cosmos", container, partitionKey, access: item.access as CosmosAccess | undefined, ttl });
    }
    case "fluid": {
      onlyKeys(item, ["type", "documentId", "create", "scopes", "ttl"], at);
      if (item.create !== undefined && typeof item.create !== "boolean")
        throw new AccessRequestError(`${at}/create`, "must be a boolean");
      const creating = item.create === true || item.documentId === "";
      if (item.create === true && item.documentId !== undefined && item.documentId !== "") {
        throw new AccessRequestError(`${at}/documentId`, "must be absent or empty when create is true");
      }
      const documentId = creating ? undefined : safeValue(item.documentId, `${at}/documentId`);
      let scopes: FluidScope[] | undefined;
      if (item.scopes !== undefined) {
        if (
          !Array.isArray(item.scopes) ||
          item.scopes.length === 0 ||
          item.scopes.some((s) => !FLUID_SCOPES.includes(s as string))
        ) {
          throw new AccessRequestError(`${at}/scopes`, `must be a non-empty array of ${FLUID_SCOPES.join(", ")}`);
        }
        scopes = [...new Set(item.scopes as FluidScope[])];
      }
      return strip({ type: "fluid", documentId, create: creating || undefined, scopes, ttl });
    }
    case "cdn": {
      onlyKeys(item, ["type", "path", "ttl"], at);
      return strip({ type: "cdn", path: cdnPath(item.path, `${at}/path`), ttl });
    }
    default:
      throw new AccessRequestError(`${at}/type`, 'must be "cosmos", "fluid" or "cdn"');
  }
}

/** A CDN path: absolute, canonical (no '.', '..' or empty segments) and free of characters a URL would reinterpret. */
function cdnPath(value: unknown, at: string): string {
  if (typeof value !== "string" || !value.startsWith("/"))
    throw new AccessRequestError(at, "must be a string starting with '/'");
  if (value.length > MAX_PATH) throw new AccessRequestError(at, `must be at most ${MAX_PATH} characters`);
  // Checked on the whole path before splitting: a fullwidth '/' (U+FF0F) is not a segment break here but may be
  // one after a layer applies NFKC, and U+2025 may become '..'. Refused, never normalized (issue 7, item 5).
  const unicode = nonAsciiReason(value);
  if (unicode) throw new AccessRequestError(at, `must be ASCII: it ${unicode}`);
  const segments = value.slice(1).split("/");
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === "")
      throw new AccessRequestError(
        at,
        last ? "must name a file, not end in '/'" : "must not contain an empty segment ('//')",
      );
    if (s === "." || s === "..") throw new AccessRequestError(at, "must not contain '.' or '..' segments");
    // eslint-disable-next-line no-control-regex
    if (/[\\%?#*\s\u0000-\u001f\u007f]/.test(s))
      throw new AccessRequestError(at, "must not contain '\\', '%', '?', '#', '*', whitespace or control characters");
  });
  return value;
}

function safeValue(value: unknown, at: string): string {
  if (typeof value !== "string") throw new AccessRequestError(at, "must be a string");
  const reason = unsafeValueReason(value);
  if (reason) throw new AccessRequestError(at, `is not allowed: it ${reason}`);
  return value;
}

function requiredName(value: unknown, at: string): string {
  if (typeof value !== "string" || !/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(value)) {
    throw new AccessRequestError(
      at,
      "must be a container name (a letter, then letters, digits, '_', '.', '-'; at most 64)",
    );
  }
  return value;
}

function optionalTtl(value: unknown, at: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw new AccessRequestError(at, "must be a positive whole number of seconds");
  return value;
}

function onlyKeys(obj: Record<string, unknown>, allowed: string[], at: string): void {
  for (const k of Object.keys(obj)) {
    // The pointer names the unknown field (capped: it is caller-supplied text), never its value.
    if (!allowed.includes(k))
      throw new AccessRequestError(
        `${at}/${k.slice(0, 64).replace(/~/g, "~0").replace(/\//g, "~1")}`,
        `is not a known field (allowed: ${allowed.join(", ")})`,
      );
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
