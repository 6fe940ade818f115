/**
 * `token-broker fluid forget <documentId> --tenant <value>`: deletes a Fluid document's owner record from the
 * registry (functions-src/fluid-owners), e.g. after the container itself was deleted. Owner-scoped grants then deny
 * the document (`not-owned`); brokers that cached the record keep it at most a minute. Prints the audit record.
 * Cosmos from COSMOS_ENDPOINT and COSMOS_DATABASE, with COSMOS_KEY or else the signed-in Entra identity.
 */
import { userInfo } from "node:os";
import { parseCommandArgs } from "./parse-command-args";
import { DefaultAzureCredential } from "@azure/identity";
import { cosmosOwnerRegistry } from "../../functions-src/fluid-owners/cosmos-owner-registry";

type Print = (s: string) => void;

export async function runFluidCommand(
  command: string,
  argv: string[],
  out: Print,
  err: Print,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  if (command !== "forget") {
    err(`unknown command 'fluid ${command}'; try: forget`);
    return 2;
  }
  const parsed = parseCommandArgs(
    {
      args: argv,
      options: { tenant: { type: "string" } },
      allowPositionals: true,
    },
    (message) => err(`token-broker fluid forget: ${message}`),
  );
  if (!parsed) return 2;
  const [documentId, extra] = parsed.positionals;
  const tenant = parsed.values.tenant;
  if (!documentId || extra !== undefined || !tenant) {
    err("usage: token-broker fluid forget <documentId> --tenant <value of the policy's tenant claim>");
    return 2;
  }
  const endpoint = env.COSMOS_ENDPOINT;
  const database = env.COSMOS_DATABASE;
  if (!endpoint || !database) {
    err("token-broker fluid forget: set COSMOS_ENDPOINT and COSMOS_DATABASE (and COSMOS_KEY, or sign in with Entra)");
    return 1;
  }
  const registry = cosmosOwnerRegistry(() => ({
    endpoint,
    database,
    ...(env.COSMOS_KEY ? { key: env.COSMOS_KEY } : { credential: new DefaultAzureCredential() }),
  }));
  const forgotten = await registry.forget(tenant, documentId);
  if (!forgotten) {
    err(`token-broker fluid forget: no owner is recorded for ${documentId} in that tenant`);
    return 1;
  }
  // The audit record, as the broker writes its own (JSON line on stdout).
  const audit = {
    event: "forgotten",
    at: new Date().toISOString(),
    type: "fluid",
    scope: documentId,
    by: `cli:${userInfo().username}`,
  };
  out(JSON.stringify({ audit }));
  return 0;
}
