/**
 * Errors as application/problem+json (RFC 9457). One place maps error codes to HTTP, at the edge.
 * A problem never carries a token, a claim value, a key or a stack trace.
 */
export interface BrokerResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ProblemType =
  | "bad-request"
  | "invalid-token"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "method-not-allowed"
  | "unsupported-media-type"
  | "payload-too-large"
  | "request-timeout"
  | "headers-too-large"
  | "expectation-failed"
  | "rate-limited"
  | "backend-unavailable"
  | "internal";

const TITLES: Record<ProblemType, [number, string]> = {
  "bad-request": [400, "The request is not valid"],
  "invalid-token": [401, "The bearer token is missing or not valid"],
  forbidden: [403, "Nothing requested is allowed"],
  "not-found": [404, "No such endpoint"],
  conflict: [409, "Already recorded"],
  "method-not-allowed": [405, "Method not allowed"],
  "unsupported-media-type": [415, "The body must be application/json"],
  "payload-too-large": [413, "The request body is too large"],
  "request-timeout": [408, "The request did not arrive in time"],
  "headers-too-large": [431, "The request headers are too large"],
  "expectation-failed": [417, "The Expect header cannot be met"],
  "rate-limited": [429, "Too many requests for this caller"],
  "backend-unavailable": [503, "A backend is unavailable; try again later"],
  internal: [500, "Internal error"],
};

/**
 * The headers of every answer: never cached, never sniffed. Built as an object literal on each call: spreading a
 * shared constant (`{...SECURITY_HEADERS, ...}`) measured about 4 µs per answer in V8 here, a literal about 0.15 µs
 * (issue 12). Each answer gets its own object, so CORS can add to it in place.
 */
export function answerHeaders(contentType: string): Record<string, string> {
  return { "cache-control": "no-store", "x-content-type-options": "nosniff", "content-type": contentType };
}

export function problem(
  type: ProblemType,
  detail: string,
  extra: { headers?: Record<string, string>; members?: Record<string, unknown> } = {},
): BrokerResponse {
  const [status, title] = TITLES[type];
  const headers = answerHeaders("application/problem+json");
  if (extra.headers) Object.assign(headers, extra.headers);
  return {
    status,
    headers,
    body: JSON.stringify({ type: `urn:azure-token-broker:problem:${type}`, title, status, detail, ...extra.members }),
  };
}

export function json(status: number, value: unknown): BrokerResponse {
  return { status, headers: answerHeaders("application/json"), body: JSON.stringify(value) };
}
