/**
 * A contract double of the Azure endpoints `token-broker deploy publish` calls, on 127.0.0.1 (port 0), following
 * their documented contracts:
 * - ARM (learn.microsoft.com/rest/api/appservice/web-apps): GET a site (hostNameSslStates with the Repository host,
 *   defaultHostName, functionAppConfig for Flex), POST config/appsettings/list, PUT config/appsettings,
 *   POST restart; `api-version` required; ARM error JSON `{error:{code,message}}`.
 * - The SCM site (One Deploy for Flex Consumption): POST /api/publish with `application/zip` answers 202 and the
 *   deployment id; GET /api/deployments/<id> answers Kudu's record `{id, status, status_text, complete}` (status
 *   0 pending .. 2 deploying, 3 failed, 4 success), 404 before the record exists; 409 while one is running.
 * - The app: GET /api/health, unauthenticated.
 * Every ARM and SCM request needs `Authorization: Bearer <token>` (401 otherwise). Host names are the first path
 * segment (`/<host>/api/...`), so a test sees which host each request was sent to.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** `arm`, or the host name the request was addressed to. */
  host: string;
  path: string;
  query: URLSearchParams;
  authorization?: string;
  contentType?: string;
  body: Buffer;
}

export interface AppServiceDoubleOptions {
  token: string;
  subscriptionId: string;
  resourceGroup: string;
  appName: string;
  appSettings: Record<string, string>;
  /** Kudu statuses returned by successive polls of the deployment (the last one repeats). */
  deploymentStatuses?: { status: number; complete: boolean; status_text?: string }[];
  /** Polls answered 404 before the deployment record exists. @default 1 */
  deploymentNotFoundPolls?: number;
  /** Health answers after the restart, in order (the last one repeats); before the restart: 503. */
  healthAfterRestart?: { status: number; body: unknown }[];
  /** Force a status on one step: `publish`, `restart`, `site`, `list`, `update`. */
  failures?: Partial<Record<"publish" | "restart" | "site" | "list" | "update", number>>;
  /** Site without functionAppConfig (not Flex). */
  notFlex?: boolean;
  /**
   * Uploads refused while the app's identity cannot yet write its deployment container: 400 with the storage 403 in
   * a BlobUploadFailedException, as the SCM site reports it. @default 0
   */
  uploadsRefusedForStorage?: number;
  /** Health answers `degraded` until this many restarts happened (a Key Vault reference cached as failed). @default 1 */
  healthyFromRestart?: number;
}

export class AppServiceDouble {
  readonly requests: RecordedRequest[] = [];
  readonly scmHost: string;
  readonly defaultHost: string;
  settings: Record<string, string>;
  restarted = false;
  restarts = 0;
  private uploads = 0;
  private server?: Server;
  private polls = 0;
  private healthIndex = 0;
  url = "";

  constructor(readonly options: AppServiceDoubleOptions) {
    this.settings = { ...options.appSettings };
    this.scmHost = `${options.appName}.scm.azurewebsites.net`;
    this.defaultHost = `${options.appName}.azurewebsites.net`;
  }

  get sitePath(): string {
    const o = this.options;
    return `/subscriptions/${o.subscriptionId}/resourceGroups/${o.resourceGroup}/providers/Microsoft.Web/sites/${o.appName}`;
  }

  /** Maps a host name to this double, as the publish command's `urlFor`. */
  urlFor = (host: string): string => `${this.url}/${host}`;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const { status, json, text } = this.handle(req, body);
        const payload = json !== undefined ? JSON.stringify(json) : (text ?? "");
        res.writeHead(status, { "content-type": json !== undefined ? "application/json" : "text/plain" }).end(payload);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  private handle(req: IncomingMessage, body: Buffer): { status: number; json?: unknown; text?: string } {
    const url = new URL(req.url ?? "/", "http://double");
    const isArm = url.pathname.startsWith("/subscriptions/");
    const [, host, ...rest] = url.pathname.split("/");
    const path = isArm ? url.pathname : `/${rest.join("/")}`;
    this.requests.push({
      method: req.method ?? "",
      host: isArm ? "arm" : host,
      path,
      query: url.searchParams,
      authorization: req.headers.authorization,
      contentType: req.headers["content-type"],
      body,
    });
    const f = this.options.failures ?? {};
    const armError = (status: number, code: string) => ({ status, json: { error: { code, message: `${code} here` } } });

    if (!isArm && host === this.defaultHost && path === "/api/health") {
      if (!this.restarted) return { status: 503, json: { status: "starting" } };
      if (this.restarts < (this.options.healthyFromRestart ?? 1)) return { status: 200, json: { status: "degraded" } };
      const answers = this.options.healthAfterRestart ?? [{ status: 200, body: { status: "ok" } }];
      const a = answers[Math.min(this.healthIndex++, answers.length - 1)];
      return { status: a.status, json: a.body };
    }
    if (req.headers.authorization !== `Bearer ${this.options.token}`)
      return armError(401, "InvalidAuthenticationToken");

    if (isArm) {
      if (url.searchParams.get("api-version") === null) return armError(400, "MissingApiVersionParameter");
      if (req.method === "GET" && path === this.sitePath) {
        if (f.site) return armError(f.site, "ResourceNotFound");
        return {
          status: 200,
          json: {
            id: this.sitePath,
            name: this.options.appName,
            kind: "functionapp,linux",
            properties: {
              defaultHostName: this.defaultHost,
              hostNameSslStates: [
                { name: this.defaultHost, hostType: "Standard" },
                { name: this.scmHost, hostType: "Repository" },
              ],
              ...(this.options.notFlex ? {} : { functionAppConfig: { runtime: { name: "node", version: "22" } } }),
            },
          },
        };
      }
      if (req.method === "POST" && path === `${this.sitePath}/config/appsettings/list`) {
        if (f.list) return armError(f.list, "AuthorizationFailed");
        return { status: 200, json: { name: "appsettings", properties: this.settings } };
      }
      if (req.method === "PUT" && path === `${this.sitePath}/config/appsettings`) {
        if (f.update) return armError(f.update, "AuthorizationFailed");
        this.settings = (JSON.parse(body.toString("utf8")) as { properties: Record<string, string> }).properties;
        return { status: 200, json: { name: "appsettings", properties: this.settings } };
      }
      if (req.method === "POST" && path === `${this.sitePath}/restart`) {
        if (f.restart) return armError(f.restart, "Conflict");
        this.restarted = true;
        this.restarts++;
        this.healthIndex = 0;
        return { status: 200, text: "" };
      }
      return armError(404, "ResourceNotFound");
    }

    if (host !== this.scmHost) return { status: 404, text: "no such host" };
    if (req.method === "POST" && path === "/api/publish") {
      if (f.publish) return { status: f.publish, text: "publish refused" };
      if (req.headers["content-type"] !== "application/zip") return { status: 415, text: "Unsupported Media Type" };
      if (body.length < 4 || body.readUInt32LE(0) !== 0x04034b50) return { status: 400, text: "not a zip" };
      if (this.uploads++ < (this.options.uploadsRefusedForStorage ?? 0))
        return {
          status: 400,
          json: {
            Message:
              "BlobUploadFailedException: Failed to upload blob to storage account: Response status code does not indicate success: 403 (This request is not authorized to perform this operation using this permission.).",
          },
        };
      return { status: 202, text: '"8d3e5a2f-0000-4000-8000-00000000d001"' };
    }
    if (req.method === "GET" && path === "/api/deployments/8d3e5a2f-0000-4000-8000-00000000d001") {
      const notFound = this.options.deploymentNotFoundPolls ?? 1;
      const poll = this.polls++;
      if (poll < notFound) return { status: 404, text: "Not Found" };
      const statuses = this.options.deploymentStatuses ?? [
        { status: 2, complete: false },
        { status: 4, complete: true },
      ];
      const s = statuses[Math.min(poll - notFound, statuses.length - 1)];
      return { status: 200, json: { id: "8d3e5a2f-0000-4000-8000-00000000d001", ...s } };
    }
    return { status: 404, text: "Not Found" };
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });
}
