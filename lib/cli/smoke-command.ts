/**
 * `token-broker smoke <broker-url> (--token-file <f> | --token-env <VAR>) [--request <json>]... [--require <types>]`:
 * is a deployed broker alive and does it issue? GET /api/health must answer 200 {"status":"ok"}; POST /api/token with
 * the test identity's token must answer 200 with at least one credential. `--require fluid,cosmos` proves the
 * secret-backed minters work: each listed type must come back as a credential. A Fluid or Cosmos credential is signed
 * with a key the broker reads from a Key Vault reference, so getting one proves the reference resolved; App Service
 * passes an unresolved reference as its literal text, which the broker refuses (503 or a `backend-unavailable`
 * denial: functions-src/secrets.ts). Prints what it saw, never the token or a credential.
 * Exit 0 ok, 1 the broker failed a check, 2 usage.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

type Print = (s: string) => void;

const DEFAULT_REQUEST = { type: "cdn", path: "/public/smoke.txt" };
const CREDENTIAL_TYPES = ["fluid", "cosmos", "cdn"];
const TIMEOUT_MS = 15_000;

export async function smokeCommand(argv: string[], out: Print, err: Print, env = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        "token-file": { type: "string" },
        "token-env": { type: "string" },
        request: { type: "string", multiple: true },
        require: { type: "string" },
      },
    });
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !/^https?:\/\//.test(positionals[0])) {
    err("smoke needs the broker's base URL, e.g. https://func-docs-pr-42.azurewebsites.net");
    return 2;
  }
  const token = values["token-file"]
    ? readFileSync(values["token-file"], "utf8").trim()
    : values["token-env"]
      ? env[values["token-env"]]?.trim()
      : undefined;
  if (!token) {
    err("smoke needs the test identity's token: --token-file <f> or --token-env <VAR>");
    return 2;
  }
  let requests: unknown[];
  try {
    requests = values.request ? values.request.map((r) => JSON.parse(r)) : [DEFAULT_REQUEST];
  } catch {
    err('--request must be JSON, e.g. \'{"type":"cdn","path":"/public/x"}\'');
    return 2;
  }
  const required = (values.require ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = required.filter((t) => !CREDENTIAL_TYPES.includes(t));
  if (unknown.length > 0) {
    err(`--require takes ${CREDENTIAL_TYPES.join(", ")}; got ${unknown.join(", ")}`);
    return 2;
  }
  const unasked = required.filter((t) => !requests.some((r) => (r as { type?: unknown })?.type === t));
  if (unasked.length > 0) {
    err(`--require ${unasked.join(",")} needs a --request of that type, e.g. '{"type":"fluid","documentId":"smoke"}'`);
    return 2;
  }
  const base = positionals[0].replace(/\/+$/, "").replace(/\/api\/token$/, "");
  const failures: string[] = [];
  try {
    const health = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = (await health.json().catch(() => undefined)) as { status?: string } | undefined;
    if (health.status === 200 && body?.status === "ok") out("health: ok");
    else
      failures.push(
        `health: ${health.status} ${JSON.stringify(body ?? null)}` +
          (body?.status === "degraded" ? " (a secret setting did not resolve, or a backend's breaker is open)" : ""),
      );

    const exchange = await fetch(`${base}/api/token`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ requests }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the deployed broker's JSON answer, read loosely
    const answer = (await exchange.json().catch(() => undefined)) as Record<string, any> | undefined;
    const issued = Array.isArray(answer?.credentials) ? answer!.credentials.length : 0;
    if (exchange.status === 200 && issued > 0) {
      out(
        `token exchange: 200, ${issued} credential(s) (${types(answer!.credentials)}), ` +
          `roles ${JSON.stringify(answer!.roles)}, policy ${answer!.policy}`,
      );
    } else {
      // A problem+json carries a code and a detail, never a secret: safe to print.
      failures.push(`token exchange: ${exchange.status} ${answer?.title ?? ""} ${answer?.detail ?? ""}`.trim());
    }
    for (const type of required) {
      const got = exchange.status === 200 && answer!.credentials.some((c: { type?: string }) => c.type === type);
      if (got) {
        out(`${type}: issued (its secret setting resolved)`);
        continue;
      }
      const denial = Array.isArray(answer?.denied)
        ? (answer!.denied as { type?: string; reason?: string }[]).find((d) => d.type === type)
        : undefined;
      const unavailable = exchange.status === 503 || denial?.reason === "backend-unavailable";
      failures.push(
        unavailable
          ? `${type}: backend-unavailable: its secret setting did not resolve (an unresolved Key Vault reference reaches ` +
              "the app as literal text; check the broker's Key Vault Secrets User role, then restart the app: " +
              "`token-broker deploy publish` restarts it)"
          : `${type}: not issued (${denial?.reason ?? `HTTP ${exchange.status}`}); the smoke identity or request does not get it`,
      );
    }
  } catch (e) {
    failures.push(`cannot reach ${base}: ${(e as Error).message}`);
  }
  for (const f of failures) err(`FAIL ${f}`);
  return failures.length === 0 ? 0 : 1;
}

function types(credentials: { type: string }[]): string {
  return credentials.map((c) => c.type).join(", ");
}
