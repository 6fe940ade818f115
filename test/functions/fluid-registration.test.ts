/**
 * Fluid document owners (issue 21), through the broker core with a real issuer, the real local Fluid service and the
 * Cosmos contract double: a creator registers the receipt the service signed; owner-scoped grants then follow the
 * record. Every forgery is refused with its reason, audited without the receipt, and writes no record.
 */
import { randomUUID } from "node:crypto";
import type { AuditRecord } from "../../functions-src/audit";
import { createBroker, type BrokerRequest } from "../../functions-src/core";
import { creationJti } from "../../functions-src/fluid-owners/creation-jti";
import { cosmosOwnerRegistry } from "../../functions-src/fluid-owners/cosmos-owner-registry";
import { cachedOwnerRegistry } from "../../functions-src/fluid-owners/owner-registry";
import { createFluidRegistration } from "../../functions-src/fluid-owners/registration-route";
import { createFluidMinter, type FluidSettings } from "../../functions-src/mint/fluid-minter";
import { mintFluidToken } from "../../functions-src/mint/fluid-token";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { Tinylicious } from "../../lib/local/tinylicious";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";

const KEYS: [string, string] = ["owners-key-1", "owners-key-2"];
const CONTOSO = "contoso";
const FABRIKAM = "fabrikam";
const tinylicious = new Tinylicious({ local: KEYS });
const cosmos = new CosmosRestContractDouble("docs", { fluidDocuments: "/tenant" });
const issuer = new KeyServer();
const audit: AuditRecord[] = [];
const fluid = (): FluidSettings => ({
  tenantId: "local",
  endpoint: tinylicious.endpoint,
  key1: KEYS[0],
  key2: KEYS[1],
  active: "key1",
});
const registry = () => cosmosOwnerRegistry(() => ({ endpoint: cosmos.endpoint, key: cosmos.key, database: "docs" }));
let broker: ReturnType<typeof createBroker>;

const policyFor = (iss: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], requiredClaims: [sub, tid], claims: { sub: { type: string }, tid: { type: string }, name: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: { owners: { tenant: tid } } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants: [{ fluid: { documents: { owner: tenant }, create: true, scopes: [doc:read, doc:write, summary:write], ttl: 10m } }]
environments: { dev: { stage: development } }
`;

beforeAll(async () => {
  await Promise.all([tinylicious.start(), issuer.start(), cosmos.start()]);
  issuer.keys = [await makeKey("k1")];
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer))), "dev");
  const owners = cachedOwnerRegistry(registry());
  broker = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: { fluid: createFluidMinter(fluid) },
    audit: (r) => audit.push(r),
    fluidOwners: {
      registry: owners,
      register: createFluidRegistration({
        registry: owners,
        fluid,
        tenantClaim: "tid",
        policy: config.policyHash,
        audit: (r) => audit.push(r),
      }),
    },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([tinylicious.stop(), issuer.stop(), cosmos.stop()]);
});

const persona = (sub: string, tid: string) =>
  issuer.sign({ sub, tid, name: sub, roles: ["editor"], aud: "api://broker" });

async function call(caller: string, path: string, body: unknown) {
  const request: BrokerRequest = {
    method: "POST",
    path,
    headers: { authorization: `Bearer ${caller}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  const res = await broker.handle(request);
  return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> & { credentials?: unknown[] } };
}

const exchange = (caller: string, request: Record<string, unknown>) =>
  call(caller, "/api/token", { requests: [{ type: "fluid", ...request }] });
const register = (caller: string, documentId: string, token: string) =>
  call(caller, "/api/fluid/documents", { documentId, token });

/** Creates a container on the local Fluid service with a broker creation token: its id and the service's receipt. */
async function createDocument(caller: string): Promise<{ id: string; token: string }> {
  const minted = await exchange(caller, { create: true });
  const jwt = (minted.body.credentials as { token: string }[])[0].token;
  const res = await fetch(`${tinylicious.endpoint}/documents/local`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${jwt}` },
    body: JSON.stringify({ summary: { type: 1, tree: {} }, sequenceNumber: 0, values: [], generateToken: true }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; token: string };
}

/** A receipt as the service would sign it, with any field changed. */
function receipt(o: { documentId: string; user: string; key?: string; jti?: string; now?: number }): string {
  return mintFluidToken({
    tenantId: "local",
    documentId: o.documentId,
    scopes: [],
    user: { id: o.user, name: o.user },
    ttlSeconds: 300,
    key: o.key ?? KEYS[0],
    jti: o.jti ?? creationJti(KEYS[0], "idp", o.user),
    now: o.now,
  }).jwt;
}

async function expectRefused(
  // A thunk, so the audit log is read before the request starts: the broker may write the record synchronously.
  ask: () => Promise<{ status: number; body: Record<string, unknown> }>,
  status: number,
  reason: string,
  documentId: string,
  tenant = CONTOSO,
) {
  const before = audit.length;
  const { status: got, body } = await ask();
  expect([got, body.reason]).toEqual([status, reason]);
  expect(body.type).toBe(`urn:azure-token-broker:problem:${status === 409 ? "conflict" : "forbidden"}`);
  const records = audit.slice(before);
  expect(records).toEqual([expect.objectContaining({ event: "registration-refused", reason, scope: documentId })]);
  expect(JSON.stringify(records)).not.toContain(".ey"); // no JWT text in the audit
  expect(await registry().find(tenant, documentId)).toBeUndefined();
}

test("a Contoso editor's new document is Contoso's: Contoso gets tokens for it, Fabrikam is refused", async () => {
  const alice = await persona("alice", CONTOSO);
  const doc = await createDocument(alice);
  const before = audit.length;
  const res = await register(alice, doc.id, doc.token);
  expect(res).toEqual({ status: 201, body: { documentId: doc.id, createdAt: expect.any(String) } });
  expect(audit.slice(before)).toEqual([
    expect.objectContaining({ event: "registered", subject: "alice", scope: doc.id }),
  ]);
  expect(JSON.stringify(audit.slice(before))).not.toContain(doc.token);
  expect(await registry().find(CONTOSO, doc.id)).toMatchObject({ creator: "alice", issuer: "idp", tenant: CONTOSO });

  const bob = await persona("bob", CONTOSO);
  const granted = await exchange(bob, { documentId: doc.id });
  expect(granted.status).toBe(200);
  expect(granted.body.credentials).toMatchObject([{ documentId: doc.id }]);

  const fay = await persona("fay", FABRIKAM);
  const refused = await exchange(fay, { documentId: doc.id });
  expect(refused.status).toBe(403);
  expect(refused.body.denied).toEqual([expect.objectContaining({ reason: "not-owned" })]);
  expect(refused.body.credentials).toBeUndefined();
  // A document nobody registered is nobody's.
  expect((await exchange(alice, { documentId: randomUUID() })).body.denied).toEqual([
    expect.objectContaining({ reason: "not-owned" }),
  ]);
}, 30_000);

test("first record wins: another registration of the same document is refused (409); a retry is idempotent", async () => {
  const alice = await persona("alice", CONTOSO);
  const doc = await createDocument(alice);
  expect((await register(alice, doc.id, doc.token)).status).toBe(201);
  // The same caller sending the same receipt again (its first answer lost) is told it is recorded.
  expect((await register(alice, doc.id, doc.token)).status).toBe(201);
  // Someone else's receipt for the same id (a service that handed out two) cannot take it over.
  const bob = await persona("bob", CONTOSO);
  const bobs = receipt({ documentId: doc.id, user: "bob", jti: creationJti(KEYS[0], "idp", "bob") });
  const before = audit.length;
  const other = await register(bob, doc.id, bobs);
  expect([other.status, other.body.reason]).toEqual([409, "document-taken"]);
  expect(audit.slice(before)).toEqual([expect.objectContaining({ event: "registration-refused", subject: "bob" })]);
  expect(await registry().find(CONTOSO, doc.id)).toMatchObject({ creator: "alice" });
}, 30_000);

describe("forged or misused receipts are refused, audited, and write nothing", () => {
  test("signed with another key", async () => {
    const alice = await persona("alice", CONTOSO);
    const id = randomUUID();
    await expectRefused(
      () => register(alice, id, receipt({ documentId: id, user: "alice", key: "not-the-tenant-key" })),
      403,
      "receipt-signature",
      id,
    );
  });

  test("expired", async () => {
    const alice = await persona("alice", CONTOSO);
    const id = randomUUID();
    const old = Math.floor(Date.now() / 1000) - 600;
    await expectRefused(
      () => register(alice, id, receipt({ documentId: id, user: "alice", now: old })),
      403,
      "receipt-expired",
      id,
    );
  });

  test("for another document id than the one named", async () => {
    const alice = await persona("alice", CONTOSO);
    const doc = await createDocument(alice);
    const other = randomUUID();
    await expectRefused(() => register(alice, other, doc.token), 403, "receipt-document", other);
  });

  test("for another user than the caller", async () => {
    const alice = await persona("alice", CONTOSO);
    const id = randomUUID();
    const forged = receipt({ documentId: id, user: "mallory", jti: creationJti(KEYS[0], "idp", "mallory") });
    await expectRefused(() => register(alice, id, forged), 403, "receipt-user", id);
  });

  test("sent by a caller other than its user (Fay replays Alice's receipt)", async () => {
    const alice = await persona("alice", CONTOSO);
    const doc = await createDocument(alice);
    const fay = await persona("fay", FABRIKAM);
    await expectRefused(() => register(fay, doc.id, doc.token), 403, "receipt-user", doc.id, FABRIKAM);
    const bob = await persona("bob", CONTOSO);
    await expectRefused(() => register(bob, doc.id, doc.token), 403, "receipt-user", doc.id);
  }, 30_000);

  test("replayed for a second id: one creation token, two receipts", async () => {
    const alice = await persona("alice", CONTOSO);
    const jti = creationJti(KEYS[0], "idp", "alice");
    const [first, second] = [randomUUID(), randomUUID()];
    expect((await register(alice, first, receipt({ documentId: first, user: "alice", jti }))).status).toBe(201);
    await expectRefused(
      () => register(alice, second, receipt({ documentId: second, user: "alice", jti })),
      409,
      "receipt-used",
      second,
    );
  });

  test("a receipt whose jti the broker did not mint for this caller", async () => {
    const alice = await persona("alice", CONTOSO);
    const id = randomUUID();
    await expectRefused(
      () => register(alice, id, receipt({ documentId: id, user: "alice", jti: randomUUID() })),
      403,
      "receipt-origin",
      id,
    );
  });

  test("an access token for the document (it has scopes) posing as a receipt", async () => {
    const alice = await persona("alice", CONTOSO);
    const id = randomUUID();
    const access = mintFluidToken({
      tenantId: "local",
      documentId: id,
      scopes: ["doc:read"],
      user: { id: "alice" },
      ttlSeconds: 300,
      key: KEYS[0],
      jti: creationJti(KEYS[0], "idp", "alice"),
    }).jwt;
    await expectRefused(() => register(alice, id, access), 403, "receipt-scopes", id);
  });
});

test("a bad registration body is a precise 400", async () => {
  const alice = await persona("alice", CONTOSO);
  expect((await call(alice, "/api/fluid/documents", { documentId: "../x", token: "a.b.c" })).body).toMatchObject({
    status: 400,
    pointer: "/documentId",
  });
  expect((await call(alice, "/api/fluid/documents", { documentId: "x" })).status).toBe(400);
});
