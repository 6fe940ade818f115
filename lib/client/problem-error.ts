/**
 * Errors typed by the broker's problem `type` (RFC 9457): callers branch on `code`, never on message text.
 * The broker's types are `urn:azure-token-broker:problem:<code>`; three codes are the client's own: `network` (no
 * answer: offline, DNS, connection reset, CORS refusal), `timeout` (no answer within the call's timeout) and
 * `bad-response` (an answer that is not the broker's contract). A request the policy denies inside an otherwise granted batch gets `forbidden` with the
 * evaluator's `reason`.
 */
/**
 * The broker's problem types (functions-src/problem.ts), restated so the client package stands alone;
 * test/client/contract-types.test.ts makes the compiler fail if the two lists differ.
 */
export type BrokerProblemType =
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

export type BrokerProblemCode = BrokerProblemType | "network" | "timeout" | "bad-response" | "unknown";

const BROKER_CODES: Record<BrokerProblemType, true> = {
  "bad-request": true,
  "invalid-token": true,
  forbidden: true,
  "not-found": true,
  conflict: true,
  "method-not-allowed": true,
  "unsupported-media-type": true,
  "payload-too-large": true,
  "request-timeout": true,
  "headers-too-large": true,
  "expectation-failed": true,
  "rate-limited": true,
  "backend-unavailable": true,
  internal: true,
};
const KNOWN = new Set<string>(Object.keys(BROKER_CODES));
const PREFIX = "urn:azure-token-broker:problem:";

export class BrokerProblemError extends Error {
  constructor(
    readonly code: BrokerProblemCode,
    /** HTTP status; 0 when no answer arrived. */
    readonly status: number,
    detail: string,
    /** For a denied request: the evaluator's reason (`no-grant`, `claim-unusable`, ...). */
    readonly reason?: string,
    /** Attempts made, retries included. */
    readonly attempts = 1,
    /** The broker's Retry-After, when it gave one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = "BrokerProblemError";
  }

  /** Whether waiting and asking again can help (network errors, 429, 503). 400/401/403 never are. */
  get retryable(): boolean {
    return this.code === "network" || this.code === "timeout" || this.status === 429 || this.status === 503;
  }

  /**
   * Fluid's driver reads `canRetry` on a token fetcher's error (routerlicious-driver documentService.ts,
   * canRetryOnError): true keeps the container reconnecting instead of closing it while the broker is away.
   */
  get canRetry(): boolean {
    return this.retryable;
  }
}

export function codeOfProblemType(type: unknown, status: number): BrokerProblemCode {
  if (typeof type === "string" && type.startsWith(PREFIX) && KNOWN.has(type.slice(PREFIX.length))) {
    return type.slice(PREFIX.length) as BrokerProblemCode;
  }
  // Something in front of the broker (platform CORS, Easy Auth, a gateway) answered without problem+json.
  if (status === 401) return "invalid-token";
  if (status === 403) return "forbidden";
  if (status === 429) return "rate-limited";
  if (status === 503) return "backend-unavailable";
  return "unknown";
}
