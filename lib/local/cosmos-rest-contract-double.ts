/**
 * CONTRACT TEST DOUBLE, not Cosmos DB: no local component implements Cosmos users and permissions, so this server
 * follows the documented REST contract for what the broker uses (learn.microsoft.com/rest/api/cosmos-db):
 * - master-key authorization: `type=master&ver=1.0&sig=` + base64(HMAC-SHA256(base64decode(key),
 *   verb\nresourceType\nresourceLink\ndate\n\n)), checked on every management call, x-ms-date required;
 * - users and permissions (create, upsert, read, replace, delete); one permission per user per resource: a second
 *   permission on the same container for the same user is 409 Conflict whatever its partition key ("Permissions":
 *   "You can associate only one permission to a particular resource for a user ... 409 Conflict");
 *   `_token` on every permission response; x-ms-documentdb-expiry-seconds in 10..18000 (400 otherwise);
 * - replace (PUT, or an upsert over an existing id) creates a new token ("Replace a Permission") and this double
 *   takes the strict reading: tokens issued for the permission before the replace stop working, as do tokens of a
 *   deleted permission or user. The .NET SDK's Permission.ReplaceAsync page says a replace "will not revoke existing
 *   ResourceTokens"; the broker must work under both readings, so it never replaces a permission (it creates one per
 *   (caller, container, partition key, mode) and re-reads it), and the strict double makes a design that relies on
 *   replacing fail here instead of in production. A GET mints a new token and leaves earlier ones valid;
 * - users and a user's permissions as feeds (`Users` / `Permissions`, `_count`, paged with x-ms-max-item-count and
 *   x-ms-continuation; the users feed continues after the last user returned, so deletes never make a page skip
 *   one); `_ts` (unix seconds of the last write) on users and permissions and `_etag` on users, both new on every
 *   write ("Common resource properties"); user replace (PUT) and upsert; If-Match on a user's PUT and DELETE (412
 *   when the `_etag` changed: "Common Azure Cosmos DB REST request headers");
 * - documents: create (409 when the id exists in the partition), point read and delete with the master key; point
 *   reads with a resource token, which must be unexpired, issued by a
 *   permission that still exists unreplaced, and match the container, the partition key and the mode (Read | All).
 * - two master keys, either of which signs a management call ("Primary/secondary keys", learn.microsoft.com/azure/
 *   cosmos-db/secure-access-to-data), and `regenerateKey` (the ARM action "Database Accounts - Regenerate Key"). What
 *   a regeneration does to resource tokens already issued is not documented (neither that page nor the REST
 *   reference on resource tokens says), so this double takes the strict reading again: tokens minted by a request
 *   signed with a key stop working when that key is regenerated. The rotation (lib/keys/rotation.ts) must hold
 *   under it: it regenerates a key only after the longest resource-token lifetime has passed since the broker
 *   stopped using it.
 * Anything else answers 501, so a test that strays outside the contract fails loudly.
 * CORS, as an account's `cors_rule` would give it: origins in `corsOrigins` get preflight answers and
 * Access-Control-Allow-Origin (+ every response header exposed); any other origin gets no CORS header.
 */
import { ownValue } from "../policy/runtime/own";
import { createHmac, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface Permission {
  id: string;
  /** Last write (create or replace), unix seconds; a GET mints a token without changing it. */
  _ts: number;
  permissionMode: "Read" | "All";
  resource: string;
  resourcePartitionKey?: unknown[];
  _token: string;
  /** Bumped by every replace: tokens carry the generation they were issued for. */
  _generation: number;
}
type MasterKeyKind = "primary" | "secondary";
type PermissionBody = Omit<Permission, "_token" | "_generation" | "_ts">;

export class CosmosRestContractDouble {
  /** The two master keys, as "List Keys" would return them; `regenerateKey` replaces one. */
  readonly masterKeys: Record<MasterKeyKind, string> = { primary: newMasterKey(), secondary: newMasterKey() };
  /** How many times each key was regenerated: tokens remember the key (and its generation) that minted them. */
  private readonly keyGeneration: Record<MasterKeyKind, number> = { primary: 0, secondary: 0 };
  /** The key that signed the management call being handled (set after the signature check, read synchronously). */
  private signedWith: { kind: MasterKeyKind; generation: number } = { kind: "primary", generation: 0 };
  private server?: Server;
  endpoint = "";
  /** Browser origins allowed like an account cors_rule (exact match). */
  corsOrigins: string[] = [];
  /** Management and data calls received, by "VERB resourceType", for round-trip counting. */
  readonly calls: string[] = [];
  /** Fault injection for resilience tests: answer this much later, or with this status (0: no fault). */
  readonly faults = { delayMs: 0, status: 0 };
  private readonly users = new Map<string, Map<string, Permission>>(); // user link -> permissions by id
  private readonly tokens = new Map<
    string,
    {
      userLink: string;
      id: string;
      generation: number;
      expiresAt: number;
      key: { kind: MasterKeyKind; generation: number };
    }
  >();
  private readonly docs = new Map<string, unknown>(); // "<coll link>|<pk json>|<id>" -> document
  /** User link -> creation order, `_ts` and `_etag` (both change on every write of the user). */
  private readonly userMeta = new Map<string, { seq: number; ts: number; etag: string }>();
  private nextSeq = 1;
  /** The double's clock (unix ms): tests move it forward to simulate hours and days. */
  now: () => number = Date.now;

  constructor(
    readonly database: string,
    readonly containers: Record<string, string>, // name -> partition key path
  ) {}

  /** The primary master key (what most tests sign with). */
  get key(): string {
    return this.masterKeys.primary;
  }

  /** "Database Accounts - Regenerate Key" (keyKind primary | secondary): the old key stops working at once. */
  regenerateKey(kind: MasterKeyKind): void {
    this.masterKeys[kind] = newMasterKey();
    this.keyGeneration[kind]++;
  }

  /** On `port` (npm run dev) or a free one (tests). */
  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) =>
      this.handle(req, res).catch(() => send(res, 500, { code: "InternalServerError" })),
    );
    await new Promise<void>((r, reject) => this.server!.once("error", reject).listen(port, "127.0.0.1", r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin && this.corsOrigins.includes(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-expose-headers", "*");
      res.setHeader("vary", "Origin");
    }
    if (req.method === "OPTIONS" && origin && req.headers["access-control-request-method"]) {
      if (res.hasHeader("access-control-allow-origin")) {
        res.setHeader("access-control-allow-methods", "GET, HEAD, POST, PUT, PATCH, DELETE");
        res.setHeader("access-control-allow-headers", String(req.headers["access-control-request-headers"] ?? ""));
        res.setHeader("access-control-max-age", "600");
      }
      res.writeHead(204).end();
      return;
    }
    const body = await new Promise<string>((r) => {
      let b = "";
      req.on("data", (c) => (b += c)).on("end", () => r(b));
    });
    const url = new URL(req.url ?? "/", "http://x");
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const verb = (req.method ?? "GET").toLowerCase();
    const { type, link } = resourceOf(parts, verb);
    this.calls.push(`${verb.toUpperCase()} ${type || "account"}`);
    if (this.faults.delayMs > 0) await new Promise((r) => setTimeout(r, this.faults.delayMs));
    if (res.destroyed) return;
    if (this.faults.status) {
      return send(res, this.faults.status, { code: "ServiceUnavailable", message: "injected fault" });
    }

    const auth = decodeURIComponent(String(req.headers.authorization ?? ""));
    const date = String(req.headers["x-ms-date"] ?? "");
    if (auth.startsWith("type=resource")) return this.resourceRequest(req, res, parts, auth, type);
    if (!date) return send(res, 401, { code: "Unauthorized", message: "x-ms-date is required" });
    const signed = `${verb}\n${type}\n${link}\n${date.toLowerCase()}\n\n`;
    const kind = (["primary", "secondary"] as const).find(
      (k) =>
        auth ===
        `type=master&ver=1.0&sig=${createHmac("sha256", Buffer.from(this.masterKeys[k], "base64")).update(signed).digest("base64")}`,
    );
    if (!kind)
      return send(res, 401, {
        code: "Unauthorized",
        message: "The input authorization token can't serve the request.",
      });
    // Everything from here to the answer runs synchronously, so concurrent requests cannot mix up their keys.
    this.signedWith = { kind, generation: this.keyGeneration[kind] };

    if (parts.length === 0 && verb === "get") return send(res, 200, this.account());
    if (parts[0] !== "dbs" || parts[1] !== this.database) return send(res, 404, { code: "NotFound" });
    const dbLink = `dbs/${this.database}`;
    if (parts.length === 2 && verb === "get")
      return send(res, 200, { id: this.database, _rid: "db", _self: `${dbLink}/` });
    if (parts[2] === "colls" && parts.length >= 4) {
      const container = parts[3];
      const pkPath = ownValue(this.containers, container);
      if (!pkPath) return send(res, 404, { code: "NotFound" });
      const collLink = `${dbLink}/colls/${container}`;
      if (parts.length === 4 && verb === "get")
        return send(res, 200, {
          id: container,
          _rid: container,
          _self: `${collLink}/`,
          partitionKey: { paths: [pkPath], kind: "Hash", version: 2 },
        });
      if (parts[4] === "pkranges")
        return send(res, 200, {
          _rid: container,
          PartitionKeyRanges: [{ id: "0", minInclusive: "", maxExclusive: "FF" }],
          _count: 1,
        });
      const pk = String(req.headers["x-ms-documentdb-partitionkey"]);
      if (parts[4] === "docs" && parts.length === 5 && verb === "post") {
        const doc = JSON.parse(body) as Record<string, unknown>;
        const key = `${collLink}|${pk}|${doc.id}`;
        const upsert = String(req.headers["x-ms-documentdb-is-upsert"]).toLowerCase() === "true";
        // "Create a document": 409 Conflict when the id exists in the partition (an upsert replaces it).
        if (this.docs.has(key) && !upsert) return send(res, 409, { code: "Conflict", message: "id exists" });
        this.docs.set(key, doc);
        return send(res, 201, { ...doc, _rid: randomUUID(), _self: `${collLink}/docs/${doc.id}/` });
      }
      // Point read and delete with the master key ("Get a document", "Delete a document"): 404 when absent.
      if (parts[4] === "docs" && parts.length === 6 && (verb === "get" || verb === "delete")) {
        const key = `${collLink}|${pk}|${parts[5]}`;
        const doc = this.docs.get(key);
        if (doc === undefined) return send(res, 404, { code: "NotFound" });
        if (verb === "get") return send(res, 200, doc);
        this.docs.delete(key);
        return send(res, 204, undefined);
      }
    }
    if (parts[2] === "users") return this.usersRequest(req, res, verb, parts, body);
    return send(res, 501, { code: "NotImplemented", message: "outside the contract this double follows" });
  }

  private usersRequest(req: IncomingMessage, res: ServerResponse, verb: string, parts: string[], body: string): void {
    const dbLink = `dbs/${this.database}`;
    const upsert = String(req.headers["x-ms-documentdb-is-upsert"]).toLowerCase() === "true";
    if (parts.length === 3 && verb === "post") {
      const { id } = JSON.parse(body) as { id: string };
      const link = `${dbLink}/users/${id}`;
      if (this.users.has(link) && !upsert) return send(res, 409, { code: "Conflict" });
      const existed = this.users.has(link);
      // An upsert over an existing user is a write (a replace): new `_ts` and `_etag`, its permissions kept.
      if (existed) this.touchUser(link);
      else this.addUser(link);
      return send(res, existed ? 200 : 201, this.userView(link));
    }
    if (parts.length === 3 && verb === "get") return this.usersFeed(req, res, dbLink);
    const userLink = `${dbLink}/users/${parts[3]}`;
    const permissions = this.users.get(userLink);
    if (!permissions) return send(res, 404, { code: "NotFound", message: "Resource Not Found" });
    if (parts.length === 4 && verb === "get") return send(res, 200, this.userView(userLink));
    // If-Match (optimistic concurrency, "Common Azure Cosmos DB REST request headers": PUT and DELETE only): a write
    // conditioned on an `_etag` the user no longer has fails with 412 and changes nothing.
    const ifMatch = req.headers["if-match"];
    if (parts.length === 4 && (verb === "put" || verb === "delete") && ifMatch !== undefined) {
      if (ifMatch !== this.userMeta.get(userLink)!.etag)
        return send(res, 412, { code: "PreconditionFailed", message: "the resource has changed" });
    }
    if (parts.length === 4 && verb === "put") {
      const { id } = JSON.parse(body) as { id: string };
      if (id !== parts[3]) return send(res, 501, { code: "NotImplemented", message: "renaming a user" });
      this.touchUser(userLink);
      return send(res, 200, this.userView(userLink));
    }
    if (parts.length === 4 && verb === "delete") {
      this.users.delete(userLink);
      this.userMeta.delete(userLink);
      return send(res, 204, undefined);
    }
    if (parts[4] !== "permissions") return send(res, 501, { code: "NotImplemented" });
    if (parts.length === 5 && verb === "get") {
      const all = [...permissions.values()].map((p) => ({ ...view(p), _self: `${userLink}/permissions/${p.id}/` }));
      return send(res, 200, { _rid: parts[3], Permissions: all, _count: all.length });
    }
    const expiry =
      req.headers["x-ms-documentdb-expiry-seconds"] === undefined
        ? 3600
        : Number(req.headers["x-ms-documentdb-expiry-seconds"]);
    if (!Number.isInteger(expiry) || expiry < 10 || expiry > 18000)
      return send(res, 400, { code: "BadRequest", message: "x-ms-documentdb-expiry-seconds must be 10..18000" });
    if (parts.length === 5 && verb === "post") {
      const p = JSON.parse(body) as PermissionBody;
      const sameResource = [...permissions.values()].find((x) => x.resource === trimSlash(p.resource) && x.id !== p.id);
      if (sameResource) return send(res, 409, { code: "Conflict", message: "one permission per user per resource" });
      const existing = permissions.get(p.id);
      if (existing && !upsert) return send(res, 409, { code: "Conflict" });
      const permission = this.issue(userLink, p, expiry, existing ? existing._generation + 1 : 0);
      permissions.set(p.id, permission);
      return send(res, existing ? 200 : 201, { ...view(permission), _self: `${userLink}/permissions/${p.id}/` });
    }
    if (parts.length === 6 && verb === "put") {
      const existing = permissions.get(parts[5]);
      if (!existing) return send(res, 404, { code: "NotFound" });
      const p = { ...(JSON.parse(body) as PermissionBody), id: parts[5] };
      const sameResource = [...permissions.values()].find((x) => x.resource === trimSlash(p.resource) && x.id !== p.id);
      if (sameResource) return send(res, 409, { code: "Conflict", message: "one permission per user per resource" });
      const permission = this.issue(userLink, p, expiry, existing._generation + 1);
      permissions.set(p.id, permission);
      return send(res, 200, { ...view(permission), _self: `${userLink}/permissions/${p.id}/` });
    }
    if (parts.length === 6 && verb === "get") {
      const p = permissions.get(parts[5]);
      if (!p) return send(res, 404, { code: "NotFound" });
      // Every read of a permission mints a new token (REST reference, Get a Permission); earlier ones stay valid.
      const permission = { ...this.issue(userLink, p, expiry, p._generation), _ts: p._ts };
      permissions.set(p.id, permission);
      return send(res, 200, view(permission));
    }
    if (parts.length === 6 && verb === "delete") {
      if (!permissions.delete(parts[5])) return send(res, 404, { code: "NotFound" });
      return send(res, 204, undefined);
    }
    send(res, 501, { code: "NotImplemented" });
  }

  private issue(userLink: string, p: PermissionBody, expirySeconds: number, generation: number): Permission {
    const token = `type=resource&ver=1.0&sig=${randomUUID()}`;
    const permission: Permission = {
      id: p.id,
      permissionMode: p.permissionMode,
      resource: trimSlash(p.resource),
      ...(p.resourcePartitionKey && { resourcePartitionKey: p.resourcePartitionKey }),
      _ts: Math.floor(this.now() / 1000),
      _token: token,
      _generation: generation,
    };
    this.tokens.set(token, {
      userLink,
      id: p.id,
      generation,
      expiresAt: this.now() + expirySeconds * 1000,
      key: this.signedWith,
    });
    return permission;
  }

  /** The permission a token was issued for, if it still exists as it was then (not replaced, not deleted). */
  private permissionOf(token: string): Permission | undefined {
    const t = this.tokens.get(token);
    if (!t || t.expiresAt < this.now()) return undefined;
    if (this.keyGeneration[t.key.kind] !== t.key.generation) return undefined; // its key was regenerated
    const p = this.users.get(t.userLink)?.get(t.id);
    return p && p._generation === t.generation ? p : undefined;
  }

  /** Permissions that exist now, per user id (for tests that compare a cache with the account). */
  permissionsOf(userId: string): PermissionBody[] {
    const permissions = [...(this.users.get(`dbs/${this.database}/users/${userId}`)?.values() ?? [])];
    return permissions.map(({ _token, _generation, _ts, ...p }) => (void _token, void _generation, void _ts, p));
  }

  private addUser(link: string, ts = Math.floor(this.now() / 1000)): void {
    this.users.set(link, new Map());
    this.userMeta.set(link, { seq: this.nextSeq++, ts, etag: `"${randomUUID()}"` });
  }

  private touchUser(link: string, ts = Math.floor(this.now() / 1000)): void {
    const meta = this.userMeta.get(link)!;
    this.userMeta.set(link, { ...meta, ts, etag: `"${randomUUID()}"` });
  }

  private userView(link: string): Record<string, unknown> {
    const { ts, etag } = this.userMeta.get(link)!;
    const id = link.split("/").pop()!;
    return { id, _rid: id, _self: `${link}/`, _permissions: "permissions/", _ts: ts, _etag: etag };
  }

  /** The users feed, in creation order; the continuation names the last user returned. */
  private usersFeed(req: IncomingMessage, res: ServerResponse, dbLink: string): void {
    const asked = Number(req.headers["x-ms-max-item-count"] ?? 100);
    const max = asked > 0 ? asked : 100;
    const after = Number(req.headers["x-ms-continuation"] ?? 0) || 0;
    const page: { id: string; _self: string; _ts: number; _etag: string }[] = [];
    let last = 0;
    let more = false;
    for (const [link, meta] of this.userMeta) {
      if (meta.seq <= after) continue;
      if (page.length === max) {
        more = true;
        break;
      }
      page.push({ id: link.slice(dbLink.length + 7), _self: `${link}/`, _ts: meta.ts, _etag: meta.etag });
      last = meta.seq;
    }
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-ms-request-charge": "1",
      "x-ms-item-count": String(page.length),
    };
    if (more) headers["x-ms-continuation"] = String(last);
    res.writeHead(200, headers).end(JSON.stringify({ _rid: "db", Users: page, _count: page.length }));
  }

  /**
   * SOAK TEST HOOK, not part of the REST contract: what one mint leaves at `atMs` (a user with one permission on
   * `container`, created then or touched then, as the minter's upsert does), without an HTTP round trip, so a soak
   * can seed 100,000 callers quickly.
   */
  seedForSoak(userId: string, container: string, atMs: number): void {
    const link = `dbs/${this.database}/users/${userId}`;
    if (!this.users.has(link)) this.addUser(link, Math.floor(atMs / 1000));
    else this.touchUser(link, Math.floor(atMs / 1000));
    const id = `soak-${container}`;
    const resource = `dbs/${this.database}/colls/${container}`;
    const ts = Math.floor(atMs / 1000);
    this.users.get(link)!.set(id, { id, permissionMode: "Read", resource, _ts: ts, _token: "", _generation: 0 });
  }

  /** Ids of the users that exist now. */
  userIds(): string[] {
    return [...this.users.keys()].map((link) => link.split("/").pop()!);
  }

  /** Data-plane reads with a resource token: container, partition key, mode and expiry must all fit. */
  private resourceRequest(
    req: IncomingMessage,
    res: ServerResponse,
    parts: string[],
    auth: string,
    type: string,
  ): void {
    const permission = this.permissionOf(auth);
    if (!permission) return send(res, 401, { code: "Unauthorized", message: "resource token invalid or expired" });
    // Any valid resource token may read the database account (the SDK does so first).
    if (parts.length === 0 && req.method === "GET") return send(res, 200, this.account());
    const collLink = parts.slice(0, 4).join("/");
    if (permission.resource !== collLink) return send(res, 403, { code: "Forbidden" });
    if (type === "colls" || type === "pkranges") return this.handleMetadata(res, parts);
    const pk = String(req.headers["x-ms-documentdb-partitionkey"] ?? "");
    if (permission.resourcePartitionKey && JSON.stringify(permission.resourcePartitionKey) !== pk) {
      return send(res, 403, { code: "Forbidden", message: "partition key outside the permission" });
    }
    if (type === "docs" && req.method === "GET" && parts.length === 6) {
      const doc = this.docs.get(`${collLink}|${pk}|${parts[5]}`);
      return doc ? send(res, 200, doc) : send(res, 404, { code: "NotFound" });
    }
    if (permission.permissionMode !== "All") {
      return send(res, 403, { code: "Forbidden", message: "read-only permission" });
    }
    send(res, 501, { code: "NotImplemented" });
  }

  private handleMetadata(res: ServerResponse, parts: string[]): void {
    const container = parts[3];
    if (parts.length === 4)
      return send(res, 200, {
        id: container,
        _rid: container,
        _self: `${parts.join("/")}/`,
        partitionKey: { paths: [this.containers[container]], kind: "Hash", version: 2 },
      });
    send(res, 200, {
      _rid: container,
      PartitionKeyRanges: [{ id: "0", minInclusive: "", maxExclusive: "FF" }],
      _count: 1,
    });
  }

  private account() {
    const location = { name: "local", databaseAccountEndpoint: this.endpoint };
    return {
      id: "contract-double",
      _self: "",
      writableLocations: [location],
      readableLocations: [location],
      enableMultipleWriteLocations: false,
      userConsistencyPolicy: { defaultConsistencyLevel: "Session" },
      systemReplicationPolicy: { minReplicaSetSize: 1, maxReplicasetSize: 1 },
      readPolicy: { primaryReadCoefficient: 1, secondaryReadCoefficient: 1 },
      queryEngineConfiguration: "{}",
    };
  }
}

/** Resource type and link for the signature (REST reference): a feed is signed with its parent's link. */
function resourceOf(parts: string[], verb: string): { type: string; link: string } {
  if (parts.length === 0) return { type: "", link: "" };
  const isFeed = parts.length % 2 === 1;
  const type = isFeed ? parts[parts.length - 1] : parts[parts.length - 2];
  const link = isFeed ? parts.slice(0, -1).join("/") : parts.join("/");
  void verb;
  return { type, link };
}

function newMasterKey(): string {
  return Buffer.from(`contract-double-master-key-${randomUUID()}`).toString("base64");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const headers = { "content-type": "application/json", "x-ms-request-charge": "1", "x-ms-activity-id": randomUUID() };
  res.writeHead(status, headers).end(body === undefined ? undefined : JSON.stringify(body));
}

function view({ _generation, ...p }: Permission): Omit<Permission, "_generation"> {
  void _generation;
  return p;
}

function trimSlash(link: string): string {
  return link.replace(/^\/|\/$/g, "");
}
