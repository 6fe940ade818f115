/** `token-broker fluid forget` against the Cosmos contract double: deletes the record, audits, refuses the unknown. */
import { cosmosOwnerRegistry } from "../../functions-src/fluid-owners/cosmos-owner-registry";
import { main } from "../../lib/cli/main";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";

const cosmos = new CosmosRestContractDouble("docs", { fluidDocuments: "/tenant" });
beforeAll(() => cosmos.start());
afterAll(() => cosmos.stop());

it("forgets a document's owner, prints the audit record, and says so when there is none", async () => {
  const registry = cosmosOwnerRegistry(() => ({ endpoint: cosmos.endpoint, key: cosmos.key, database: "docs" }));
  const owner = {
    documentId: "doc-1",
    tenant: "contoso",
    creator: "alice",
    issuer: "idp",
    createdAt: "2026-12-04T00:00:00Z",
  };
  expect(await registry.record(owner, "c1.jti", 0)).toBe("recorded");
  process.env.COSMOS_ENDPOINT = cosmos.endpoint;
  process.env.COSMOS_DATABASE = "docs";
  process.env.COSMOS_KEY = cosmos.key;
  try {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ["fluid", "forget", "doc-1", "--tenant", "contoso"],
      (s) => out.push(s),
      (s) => err.push(s),
    );
    expect(code).toBe(0);
    expect(JSON.parse(out[0]).audit).toMatchObject({
      event: "forgotten",
      scope: "doc-1",
      by: expect.stringMatching(/^cli:/),
    });
    expect(await registry.find("contoso", "doc-1")).toBeUndefined();
    const again = await main(
      ["fluid", "forget", "doc-1", "--tenant", "contoso"],
      (s) => out.push(s),
      (s) => err.push(s),
    );
    expect(again).toBe(1);
    expect(err.at(-1)).toContain("no owner is recorded for doc-1");
    expect(
      await main(
        ["fluid", "forget", "doc-1"],
        () => undefined,
        () => undefined,
      ),
    ).toBe(2);
  } finally {
    delete process.env.COSMOS_ENDPOINT;
    delete process.env.COSMOS_DATABASE;
    delete process.env.COSMOS_KEY;
  }
});
