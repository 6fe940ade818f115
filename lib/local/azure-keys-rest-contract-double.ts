/**
 * CONTRACT TEST DOUBLE, not Azure: the REST calls the key rotation makes (lib/cli/keys-azure.ts), answered as the
 * REST references describe them, with the keys themselves held by real local services where one exists:
 * - ARM "Fluid Relay Servers - List Keys / Regenerate Key" (api-version 2022-06-01): the keys are tinylicious'
 *   tenant keys (Tinylicious.regenerateKey), so a regenerated key is refused by the local Fluid service at once;
 * - ARM "Database Accounts - List Keys / Regenerate Key" (api-version 2024-11-15): the keys are the Cosmos contract
 *   double's master keys; regenerateKey answers 202 with Azure-AsyncOperation, the operation reports InProgress
 *   `asyncPolls` times and the key changes when it reports Succeeded, as a long-running ARM operation does;
 * - Key Vault "Get Secret" / "Set Secret" (api-version 7.4): versions, tags, 404 SecretNotFound.
 * Every call needs a bearer token for its audience (`token-for:<scope>` from `testCredential`: ARM calls the ARM
 * scope, vault calls the vault scope) and the documented api-version; anything else is 400/401/404, so a client that
 * strays from the contract fails here. Binds 127.0.0.1 on a free port; stopped by the test that started it.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TokenCredential } from "@azure/identity";

type Slot = "key1" | "key2";

export interface KeyHolder {
  keys(): Record<Slot, string>;
  regenerate(slot: Slot): void;
}

export interface AzureKeysDoubleOptions {
  fluid?: { serverId: string; holder: KeyHolder };
  cosmos?: { accountId: string; holder: KeyHolder; asyncPolls?: number };
}

const ARM_AUDIENCE = "https://management.azure.com/.default";
const VAULT_AUDIENCE = "https://vault.azure.net/.default";

/** A credential whose tokens name their scope, so the double can check each call's audience. */
export const testCredential: TokenCredential = {
  getToken: async (scope) => ({
    token: `token-for:${Array.isArray(scope) ? scope[0] : scope}`,
    expiresOnTimestamp: Date.now() + 3600_000,
  }),
};

export class AzureKeysRestContractDouble {
  private server?: Server;
  endpoint = "";
  /** "METHOD path" of every call, for tests that count steps. */
  readonly calls: string[] = [];
  /** Secret name -> versions, newest last. */
  readonly secrets = new Map<
    string,
    { value: string; contentType?: string; tags?: Record<string, string>; version: string }[]
  >();
  private readonly operations = new Map<string, { polls: number; done: () => void }>();
  /** Fault injection: the vault answers this status (0: none). */
  readonly faults = { vaultStatus: 0 };

  constructor(private readonly options: AzureKeysDoubleOptions) {}

  get armEndpoint(): string {
    return this.endpoint;
  }
  get vaultUrl(): string {
    return this.endpoint;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) =>
      this.handle(req, res).catch(() => send(res, 500, { error: { code: "InternalError" } })),
    );
    await new Promise<void>((r, reject) => this.server!.once("error", reject).listen(0, "127.0.0.1", r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((r) => {
      let b = "";
      req.on("data", (c) => (b += c)).on("end", () => r(b));
    });
    const url = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    this.calls.push(`${method} ${url.pathname}`);
    const auth = String(req.headers.authorization ?? "");
    const version = url.searchParams.get("api-version");

    if (url.pathname.startsWith("/secrets/")) {
      if (auth !== `Bearer token-for:${VAULT_AUDIENCE}`) return send(res, 401, { error: { code: "Unauthorized" } });
      if (version !== "7.4") return send(res, 400, { error: { code: "BadParameter", message: "api-version" } });
      if (this.faults.vaultStatus) return send(res, this.faults.vaultStatus, { error: { code: "ServiceUnavailable" } });
      const name = decodeURIComponent(url.pathname.slice("/secrets/".length));
      if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) return send(res, 400, { error: { code: "BadParameter" } });
      const versions = this.secrets.get(name) ?? [];
      if (method === "GET") {
        const latest = versions.at(-1);
        if (!latest)
          return send(res, 404, {
            error: { code: "SecretNotFound", message: `A secret with (name/id) ${name} was not found` },
          });
        return send(res, 200, this.secretView(name, latest));
      }
      if (method === "PUT") {
        const parsed = JSON.parse(body) as { value?: unknown; contentType?: string; tags?: Record<string, string> };
        if (typeof parsed.value !== "string")
          return send(res, 400, { error: { code: "BadParameter", message: "value" } });
        const entry = {
          value: parsed.value,
          contentType: parsed.contentType,
          tags: parsed.tags,
          version: randomUUID().replace(/-/g, ""),
        };
        this.secrets.set(name, [...versions, entry]);
        return send(res, 200, this.secretView(name, entry));
      }
      return send(res, 405, { error: { code: "MethodNotAllowed" } });
    }

    if (auth !== `Bearer token-for:${ARM_AUDIENCE}`)
      return send(res, 401, { error: { code: "InvalidAuthenticationToken" } });
    const op = url.pathname.startsWith("/operations/") ? this.operations.get(url.pathname) : undefined;
    if (op && method === "GET") {
      if (op.polls-- > 0) return send(res, 200, { status: "InProgress" });
      op.done();
      this.operations.delete(url.pathname);
      return send(res, 200, { status: "Succeeded" });
    }
    const fluid = this.options.fluid;
    if (fluid && url.pathname.startsWith(`${fluid.serverId}/`) && method === "POST") {
      if (version !== "2022-06-01") return send(res, 400, { error: { code: "InvalidApiVersionParameter" } });
      const action = url.pathname.slice(fluid.serverId.length + 1);
      if (action === "listKeys") return send(res, 200, fluid.holder.keys());
      if (action === "regenerateKey") {
        const { keyName } = JSON.parse(body || "{}") as { keyName?: string };
        if (keyName !== "key1" && keyName !== "key2")
          return send(res, 400, { error: { code: "InvalidRequestContent" } });
        fluid.holder.regenerate(keyName);
        return send(res, 200, fluid.holder.keys());
      }
    }
    const cosmos = this.options.cosmos;
    if (cosmos && url.pathname.startsWith(`${cosmos.accountId}/`) && method === "POST") {
      if (version !== "2024-11-15") return send(res, 400, { error: { code: "InvalidApiVersionParameter" } });
      const action = url.pathname.slice(cosmos.accountId.length + 1);
      if (action === "listKeys") {
        const k = cosmos.holder.keys();
        return send(res, 200, {
          primaryMasterKey: k.key1,
          secondaryMasterKey: k.key2,
          primaryReadonlyMasterKey: `ro-${k.key1}`,
          secondaryReadonlyMasterKey: `ro-${k.key2}`,
        });
      }
      if (action === "regenerateKey") {
        const { keyKind } = JSON.parse(body || "{}") as { keyKind?: string };
        if (keyKind !== "primary" && keyKind !== "secondary") return send(res, 400, { error: { code: "BadRequest" } });
        const path = `/operations/${randomUUID()}`;
        this.operations.set(path, {
          polls: cosmos.asyncPolls ?? 2,
          done: () => cosmos.holder.regenerate(keyKind === "primary" ? "key1" : "key2"),
        });
        res.setHeader("azure-asyncoperation", `${this.endpoint}${path}?api-version=2024-11-15`);
        return send(res, 202, undefined);
      }
    }
    send(res, 404, { error: { code: "ResourceNotFound" } });
  }

  private secretView(
    name: string,
    v: { value: string; contentType?: string; tags?: Record<string, string>; version: string },
  ) {
    return {
      value: v.value,
      id: `${this.vaultUrl}/secrets/${name}/${v.version}`,
      ...(v.contentType && { contentType: v.contentType }),
      ...(v.tags && { tags: v.tags }),
      attributes: { enabled: true, recoveryLevel: "Recoverable+Purgeable" },
    };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "x-ms-request-id": randomUUID() });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
