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
  | "method-not-allowed"
  | "unsupported-media-type"
  | "payload-too-large"
  | "rate-limited"
  | "backend-unavailable"
  | "internal";

const TITLES: Record<ProblemType, [number, string]> = {
  "bad-request": [400, "The request is not valid"],
  "invalid-token": [401, "The bearer token is missing or not valid"],
  forbidden: [403, "Nothing requested is allowed"],
  "not-found": [404, "No such endpoint"],
  "method-not-allowed": [405, "Method not allowed"],
  "unsupported-media-type": [415, "The body must be application/json"],
  "payload-too-large": [413, "The request body is too large"],
  "rate-limited": [429, "Too many requests for this caller"],
  "backend-unavailable": [503, "A backend is unavailable; try again later"],
  internal: [500, "Internal error"],
};

export const SECURITY_HEADERS: Record<string, string> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

export function problem(
  type: ProblemType,
  detail: string,
  extra: { headers?: Record<string, string>; members?: Record<string, unknown> } = {},
): BrokerResponse {
  const [status, title] = TITLES[type];
  return {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "application/problem+json", ...extra.headers },
    body: JSON.stringify({ type: `urn:azure-token-broker:problem:${type}`, title, status, detail, ...extra.members }),
  };
}

export function json(status: number, value: unknown): BrokerResponse {
  return { status, headers: { ...SECURITY_HEADERS, "content-type": "application/json" }, body: JSON.stringify(value) };
}
