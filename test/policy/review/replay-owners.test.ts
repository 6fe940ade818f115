/**
 * Replay of owner-scoped Fluid grants (issue 21): a real broker core with a real issuer, the owner registry on the
 * Cosmos contract double, writes the audit records; replay re-decides `documents: { owner: … }` from the caller's
 * recorded relation to each document's owner, and says it cannot tell when the records never held one.
 */
import type { AuditRecord } from "../../../functions-src/audit";
import { createBroker, type BrokerRequest } from "../../../functions-src/core";
import { cosmosOwnerRegistry } from "../../../functions-src/fluid-owners/cosmos-owner-registry";
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../../functions-src/verify/verify-token";
import { CosmosRestContractDouble } from "../../../lib/local/cosmos-rest-contract-double";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { replayText } from "../../../lib/policy/review/replay";
import { formatReplay } from "../../../lib/policy/review/replay-report";
import { filesInMemory, loadOk } from "../helpers";
import { KeyServer, makeKey } from "../../support/key-server";

const cosmos = new CosmosRestContractDouble("docs", { fluidDocuments: "/tenant" });
const issuer = new KeyServer();
const registry = () => cosmosOwnerRegistry(() => ({ endpoint: cosmos.endpoint, key: cosmos.key, database: "docs" }));

const policyWith = (documents: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${issuer.issuer}, audiences: [api://broker], algorithms: [RS256], requiredClaims: [sub, tid], claims: { sub: { type: string }, tid: { type: string, pattern: "^[a-z]{1,20}$" }, roles: { type: "string[]" } } }
resources: { fluid: { owners: { tenant: tid } } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants: [{ fluid: { documents: ${documents}, scopes: [doc:read, doc:write], ttl: 10m } }]
environments: { dev: { stage: development } }
`;
const ANY = () => loadOk(filesInMemory(policyWith('"*"')));
const TENANT = () => loadOk(filesInMemory(policyWith("{ owner: tenant }")));
const CREATOR = () => loadOk(filesInMemory(policyWith("{ owner: creator }")));

beforeAll(async () => {
  await Promise.all([cosmos.start(), issuer.start()]);
  issuer.keys = [await makeKey("k1")];
  const owners = registry();
  const at = "2026-12-04T00:00:00Z";
  const iss = "idp";
  await owners.record(
    { documentId: "doc-c1", tenant: "contoso", creator: "ed-1", issuer: iss, createdAt: at },
    "j1",
    0,
  );
  await owners.record(
    { documentId: "doc-c2", tenant: "contoso", creator: "ed-2", issuer: iss, createdAt: at },
    "j2",
    0,
  );
  await owners.record(
    { documentId: "doc-f1", tenant: "fabrikam", creator: "fe-1", issuer: iss, createdAt: at },
    "j3",
    0,
  );
}, 60_000);
afterAll(() => Promise.all([cosmos.stop(), issuer.stop()]));

/** ed-1 of Contoso asks for its own document, a colleague's, Fabrikam's and one nobody registered. */
async function recordUnder(policy: ReturnType<typeof ANY>): Promise<{ lines: string[]; records: AuditRecord[] }> {
  const lines: string[] = [];
  const { config } = compilePolicy(policy, "dev");
  const owners = registry();
  const broker = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: {
      fluid: createFluidMinter(() => ({
        tenantId: "t",
        endpoint: "http://127.0.0.1:1",
        key1: "k1",
        key2: "k2",
        active: "key1",
      })),
    },
    audit: (r) => lines.push(JSON.stringify({ audit: r })),
    fluidOwners: { registry: owners, register: () => Promise.reject(new Error("not used here")) },
  });
  const token = await issuer.sign({ sub: "ed-1", tid: "contoso", roles: ["editor"], aud: "api://broker" });
  for (const documentId of ["doc-c1", "doc-c2", "doc-f1", "doc-x"]) {
    const request: BrokerRequest = {
      method: "POST",
      path: "/api/token",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ requests: [{ type: "fluid", documentId, scopes: ["doc:read", "doc:write"] }] }),
    };
    await broker.handle(request);
  }
  return { lines, records: lines.map((l) => JSON.parse(l).audit as AuditRecord) };
}

describe("the audit record of an owner-scoped exchange", () => {
  it("keeps the caller's relation to the document's owner, never another tenant's value", async () => {
    const { lines, records } = await recordUnder(TENANT());
    expect(records.map((r) => [r.event, r.asked && "documentId" in r.asked && r.asked.documentId, r.owner])).toEqual([
      ["issued", "doc-c1", "creator"],
      ["issued", "doc-c2", "tenant"],
      ["denied", "doc-f1", "none"], // Fabrikam's: the broker only reads the caller's tenant, so nothing is found
      ["denied", "doc-x", "none"],
    ]);
    expect(records[2].reason).toBe("not-owned");
    expect(lines.join("\n")).not.toContain("fabrikam");
    expect(lines.join("\n")).not.toContain("fe-1");
  });

  it("holds no owner when no grant is owner-scoped (the broker looked nothing up)", async () => {
    const { records } = await recordUnder(ANY());
    expect(records.map((r) => r.event)).toEqual(["issued", "issued", "issued", "issued"]);
    expect(records.every((r) => r.owner === undefined)).toBe(true);
  });
});

describe("replay of owner-scoped Fluid grants", () => {
  it("{ owner: tenant } → { owner: creator }: the colleague's document is lost, the caller's own kept", async () => {
    const { lines } = await recordUnder(TENANT());
    const report = replayText(lines.join("\n"), TENANT(), CREATOR(), { environment: "dev" });
    expect(report.replayed).toBe(4);
    expect(report.gains).toEqual([]);
    expect(report.losses).toEqual([
      {
        role: "editor",
        backend: "fluid",
        what: "documents doc:read doc:write → denied (not-owned)",
        callers: 1,
        exchanges: 1,
        subjects: ["ed-1"],
      },
    ]);
    expect(report.cannotTell).toEqual([]);
  });

  it('{ owner: tenant } → "*": the documents of other tenants and unregistered ones are gained', async () => {
    const { lines } = await recordUnder(TENANT());
    const report = replayText(lines.join("\n"), TENANT(), ANY(), { environment: "dev" });
    expect(report.losses).toEqual([]);
    expect(report.gains).toEqual([
      expect.objectContaining({ role: "editor", what: "denied → documents doc:read doc:write", exchanges: 2 }),
    ]);
  });

  it('"*" → { owner: tenant } over records that never held an owner: cannot tell, never "nobody loses"', async () => {
    const { lines } = await recordUnder(ANY());
    const report = replayText(lines.join("\n"), ANY(), TENANT(), { environment: "dev" });
    expect(report.gains).toEqual([]);
    expect(report.losses).toEqual([]);
    expect(report.cannotTell).toEqual([
      {
        role: "editor",
        // The base read neither the tenant claim nor an owner; both are named.
        claims: [{ claim: "tid", why: "not recorded" }],
        documentOwner: "not recorded",
        callers: 1,
        exchanges: 4,
        subjects: ["ed-1"],
      },
    ]);
    const text = formatReplay(report);
    expect(text).not.toContain("no recorded caller would gain or lose access");
    expect(text).toContain(
      "cannot tell: claim `tid` was not recorded, the Fluid document's owner was not recorded: ed-1",
    );
  });
});
