/**
 * The Fluid owner registry in the stacks (issue 21): its own Cosmos container, reached by the broker's identity only,
 * through a custom role on that container that cannot rewrite a record; no client-facing permission reaches it.
 */
import { FLUID_OWNERS_CONTAINER } from "../../lib/policy/runtime/document-owner";
import { compileExample } from "../policy/helpers";
import { all, synthEnvironment } from "./helpers";

const { json } = synthEnvironment("prod");
const r = json.resource;
const REGISTRY_SCOPE = `/dbs/docs/colls/${FLUID_OWNERS_CONTAINER}`;

it("provisions the registry container, partitioned by tenant", () => {
  expect(all(r, "azurerm_cosmosdb_sql_container").map((c) => [c.name, c.partition_key_paths])).toContainEqual([
    FLUID_OWNERS_CONTAINER,
    ["/tenant"],
  ]);
});

it("only the broker's identity is assigned a role on it, a custom role that reads, creates and deletes items", () => {
  const onRegistry = all(r, "azurerm_cosmosdb_sql_role_assignment").filter((a) =>
    String(a.scope).endsWith(REGISTRY_SCOPE),
  );
  expect(onRegistry).toHaveLength(1);
  expect(String(onRegistry[0].principal_id)).toContain("azurerm_function_app_flex_consumption");
  const roles = all(r, "azurerm_cosmosdb_sql_role_definition").filter((d) =>
    (d.assignable_scopes as string[]).some((s) => s.endsWith(REGISTRY_SCOPE)),
  );
  expect(roles).toHaveLength(1);
  const actions = (roles[0].permissions as { data_actions: string[] }[]).flatMap((p) => p.data_actions).sort();
  expect(actions).toEqual([
    "Microsoft.DocumentDB/databaseAccounts/readMetadata",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/delete",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
  ]);
});

it("no client-facing permission can reach it: the broker mints resource tokens for policy containers only", () => {
  for (const env of ["local", "dev", "prod", "pr-1"]) {
    const { config } = compileExample(env);
    expect(Object.keys(config.resources.cosmos?.containers ?? {})).not.toContain(FLUID_OWNERS_CONTAINER);
    for (const role of config.roles)
      for (const g of role.grants) if (g.type === "cosmos") expect(g.container).not.toBe(FLUID_OWNERS_CONTAINER);
  }
});
