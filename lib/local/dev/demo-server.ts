/**
 * The demo page's server (dev only): the page and its script, `/dev/config` (where everything runs), `/dev/explain`
 * (which roles match a signed-in persona and why: the same `explain` as `token-broker policy explain`, for a verified
 * token only). The page calls the broker itself, cross-origin: the broker answers CORS for this origin (the `local`
 * environment's allowedOrigins).
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { parseAccessRequests } from "../../policy/runtime/access-request";
import type { RuntimeConfig } from "../../policy/runtime/runtime-config";
import { explain } from "../../policy/review/explain";
import { TokenError, type TokenVerifier } from "../../../functions-src/verify/verify-token";
import type { DevEnvironment } from "./dev-environment";
import { FLUID_TENANT } from "./dev-environment";
import { PERSONAS } from "./personas";
import { SAMPLE_ASSETS } from "./sample-assets";

type Current = () => { config: RuntimeConfig; verifier: TokenVerifier; error?: string };

export async function startDemoServer(
  port: number,
  env: DevEnvironment,
  current: Current,
  script: Promise<string>,
): Promise<{ close(): Promise<void> }> {
  const html = readFileSync(join(__dirname, "page", "index.html"), "utf8");
  const js = await script;
  const server = createServer((req, res) => {
    route(req, res).catch(() => send(res, 500, { title: "the dev server failed" }));
  });
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://dev").pathname;
    if (req.method === "GET" && path === "/")
      return void res
        .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
        .end(html);
    if (req.method === "GET" && path === "/demo.js")
      return void res
        .writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" })
        .end(js);
    if (req.method === "GET" && path === "/dev/config") return send(res, 200, config(env, current()));
    if (req.method === "POST" && path === "/dev/explain") return explainRoute(req, res, current());
    send(res, 404, { title: "not found" });
  }
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return { close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

function config(env: DevEnvironment, c: ReturnType<Current>) {
  const tenantOf = (t: string) => PERSONAS.find((p) => p.tenant === t)!.claims.tid;
  return {
    issuer: env.urls.issuer,
    audience: env.audience,
    broker: env.urls.broker,
    fluid: { endpoint: env.urls.fluid, tenantId: FLUID_TENANT, noteId: env.noteId, fabrikamNoteId: env.fabrikamNoteId },
    cosmos: { endpoint: env.urls.cosmos, standIn: env.cosmosIsStandIn },
    cdn: {
      edge: env.urls.cdn,
      assets: SAMPLE_ASSETS.map((a) => a.path),
      logo: {
        contoso: `/tenants/${tenantOf("contoso")}/logo.svg`,
        fabrikam: `/tenants/${tenantOf("fabrikam")}/logo.svg`,
      },
    },
    policy: { hash: c.config.policyHash, environment: c.config.environment.name, error: c.error ?? null },
    personas: PERSONAS.map((p) => ({
      id: p.id,
      label: p.label,
      expect: p.expect,
      tenant: p.tenant,
      oid: p.claims.oid,
    })),
  };
}

async function explainRoute(req: IncomingMessage, res: ServerResponse, c: ReturnType<Current>): Promise<void> {
  const bearer = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
  if (!bearer) return send(res, 401, { title: "send Authorization: Bearer <token>" });
  let token;
  try {
    token = await c.verifier.verify(bearer);
  } catch (e) {
    if (e instanceof TokenError) return send(res, 401, { title: "invalid token", detail: e.message });
    throw e;
  }
  let requests;
  try {
    requests = parseAccessRequests(JSON.parse((await body(req)) || "{}"));
  } catch (e) {
    return send(res, 400, { title: "bad request", detail: (e as Error).message });
  }
  send(res, 200, explain(c.config, { issuer: token.issuer, claims: token.claims }, requests));
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = "";
    req.on("data", (c) => (b.length < 16_384 ? (b += c) : undefined)).on("end", () => resolve(b));
  });
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const problem = status >= 400;
  res
    .writeHead(status, {
      "content-type": problem ? "application/problem+json" : "application/json",
      "cache-control": "no-store",
    })
    .end(JSON.stringify(problem ? { status, ...(value as object) } : value));
}
