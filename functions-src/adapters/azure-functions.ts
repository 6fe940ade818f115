/**
 * The broker as Azure Functions v4 HTTP functions. Routes are anonymous at the Functions level: Easy Auth is the
 * first gate and the broker verifies every token itself (a function key would add a shared secret, not security).
 */
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { MAX_BODY_BYTES, type Broker, type BrokerRequest } from "../core";
import { problem, type BrokerResponse } from "../problem";
import { clientIpFrom } from "./client-ip";
import { absoluteUrlPath } from "./request-target";

/** The part of `app` this module uses, so tests can capture exactly what is registered. */
export interface HttpRegistrar {
  http(
    name: string,
    options: { methods: ("GET" | "POST" | "OPTIONS")[]; authLevel: "anonymous"; route: string; handler: HttpHandler },
  ): void;
}

export interface AzureFunctionsOptions {
  /** @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
  /** Front Door and the App Service front end each append to X-Forwarded-For. @default 2 */
  trustedProxyHops?: number;
}

export function registerBrokerFunctions(
  app: HttpRegistrar,
  broker: () => Broker,
  options: AzureFunctionsOptions = {},
): void {
  const handler = brokerHandler(broker, options);
  // OPTIONS: the broker answers CORS preflights itself (functions-src/cors.ts).
  app.http("token", { methods: ["POST", "OPTIONS"], authLevel: "anonymous", route: "token", handler });
  app.http("fluidDocuments", {
    methods: ["POST", "OPTIONS"],
    authLevel: "anonymous",
    route: "fluid/documents",
    handler,
  });
  app.http("health", { methods: ["GET"], authLevel: "anonymous", route: "health", handler });
}

/**
 * `broker` is a factory so the first request (not module load) pays for building it: a failed config becomes a 503.
 * Nothing a request carries can make the handler throw: an exception that escapes the core becomes a 500 without a
 * detail (the host logs it), so the worker never reports a failed invocation for a caller's input.
 */
export function brokerHandler(broker: () => Broker, options: AzureFunctionsOptions = {}): HttpHandler {
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const hops = options.trustedProxyHops ?? 2;
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let response: BrokerResponse;
    try {
      response = await respond(request, context);
    } catch (e) {
      context.error("token broker failed to handle a request", { error: (e as Error)?.name });
      response = problem("internal", "the broker failed to handle this request");
    }
    if (response.status >= 500)
      context.warn(`token broker answered ${response.status}`, { invocationId: context.invocationId });
    return { status: response.status, headers: response.headers, body: response.body };
  };

  async function respond(request: HttpRequest, context: InvocationContext): Promise<BrokerResponse> {
    const declared = Number(request.headers.get("content-length") ?? 0);
    if (declared > maxBody) return problem("payload-too-large", `the body may be at most ${maxBody} bytes`);
    const path = absoluteUrlPath(request.url);
    if (path === undefined) return problem("bad-request", "the request URL cannot be read");
    let instance: Broker | undefined;
    try {
      instance = broker();
    } catch (e) {
      // A broken deployment (policy.json, settings) answers 503 and is logged, never a stack trace to the caller.
      context.error("token broker cannot start", { error: (e as Error).message });
    }
    if (!instance)
      return problem("backend-unavailable", "the broker is not configured correctly", {
        headers: { "retry-after": "60" },
      });
    const body = request.method === "POST" ? await request.text() : undefined;
    return instance.handle(toBrokerRequest(request, path, body, hops));
  }
}

function toBrokerRequest(request: HttpRequest, path: string, body: string | undefined, hops: number): BrokerRequest {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key.toLowerCase()] = value;
  });
  return {
    method: request.method,
    path,
    headers,
    body,
    clientIp: clientIpFrom(undefined, headers["x-forwarded-for"], hops),
  };
}
