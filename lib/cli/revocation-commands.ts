/**
 * `token-broker revoke` and `token-broker cosmos gc`: the incident responder's and the operator's commands. They act
 * on the environment's shared store (--store, or SHARED_STORE_URL; Entra auth with SHARED_STORE_ENTRA_OBJECT_ID,
 * never an access key) and, where set, its Cosmos account (COSMOS_ENDPOINT, COSMOS_KEY).
 */
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { CosmosClient } from "@azure/cosmos";
import { DefaultAzureCredential } from "@azure/identity";
import { compilePolicy } from "../policy/authoring/compile";
import { parseDuration } from "../policy/authoring/duration";
import { formatDiagnostic } from "../policy/authoring/errors";
import { filesOnDisk } from "../policy/authoring/policy-files";
import { loadCheckedPolicy } from "../policy/authoring/checked-policy";
import { collectCosmosGarbage, deleteCallerFromCosmos } from "../../functions-src/mint/cosmos-cleanup";
import { parseRevocationRequest, RevocationRequestError } from "../../functions-src/revocation/admin-route";
import { RevocationList } from "../../functions-src/revocation/revocation-list";
import { findPolicyDir, PolicyDirError } from "./policy-dir";
import { MemoryStore } from "../../functions-src/store/memory-store";
import { RedisStore } from "../../functions-src/store/redis-store";
import { StoreUnavailableError } from "../../functions-src/store/shared-store";

type Print = (s: string) => void;
type Env = Readonly<Record<string, string | undefined>>;

export async function runRevokeCommand(
  argv: string[],
  out: Print,
  err: Print,
  env: Env = process.env,
): Promise<number> {
  const parsed = parse(
    argv,
    {
      env: { type: "string" },
      subject: { type: "string" },
      issuer: { type: "string" },
      jti: { type: "string" },
      reason: { type: "string" },
      store: { type: "string" },
      policies: { type: "string" },
      json: { type: "boolean" },
    },
    err,
  );
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const compiled = compileFor(
    positionals[0],
    values.policies as string | undefined,
    values.env as string | undefined,
    err,
  );
  if (!compiled) return compiled === null ? 1 : 2;
  const revocation = compiled.config.revocation;
  if (!revocation) {
    err(`revocation is not on in this policy for '${compiled.config.environment.name}': add a \`revocation:\` section`);
    return 1;
  }
  let request;
  try {
    const body = Object.fromEntries(
      ["subject", "issuer", "jti", "reason"].filter((k) => values[k] !== undefined).map((k) => [k, values[k]]),
    );
    request = parseRevocationRequest(
      body,
      compiled.config.issuers.map((i) => i.name),
    );
  } catch (e) {
    if (!(e instanceof RevocationRequestError)) throw e;
    err(`token-broker revoke: ${e.message.replace(/'(\w+)'/g, "--$1")}`);
    return 2;
  }
  const store = await connect(values.store as string | undefined, env, err);
  if (!store) return 1;
  try {
    const list = new RevocationList(store, { maxTokenLifetimeSeconds: revocation.maxTokenLifetimeSeconds });
    const by = `cli:${userInfo().username}`;
    const entry = await list.revoke(request.target, { by, reason: request.reason });
    const t = request.target;
    let cosmos: { permissions: number; users: number } | undefined;
    const db = cosmosDatabase(env, compiled.config.resources.cosmos?.database);
    if (t.kind === "subject" && db) {
      cosmos = { permissions: 0, users: 0 };
      for (const issuer of t.issuer ? [t.issuer] : compiled.config.issuers.map((i) => i.name)) {
        const r = await deleteCallerFromCosmos(db, issuer, t.subject);
        cosmos.permissions += r.permissions;
        cosmos.users += r.users;
      }
    }
    // The audit record, as the broker writes it (JSON line on stdout).
    const audit = {
      event: "revoked",
      at: entry.revokedAt,
      policy: compiled.config.policyHash,
      type: t.kind,
      ...(t.kind === "subject" ? { subject: t.subject, issuer: t.issuer } : { jti: t.jti }),
      by,
      reason: request.reason,
      expiresAt: entry.expiresAt,
    };
    if (values.json) out(JSON.stringify({ audit, ...(cosmos && { cosmos }) }));
    else {
      out(JSON.stringify({ audit }));
      out(
        `revoked (${t.kind}) until ${entry.expiresAt}; every instance refuses it within 1 s` +
          (cosmos
            ? `; Cosmos: ${cosmos.permissions} permission(s), ${cosmos.users} user(s) deleted`
            : t.kind === "subject"
              ? "; Cosmos not configured (COSMOS_ENDPOINT/COSMOS_KEY): its metadata was not deleted"
              : ""),
      );
    }
    return 0;
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    err(`token-broker revoke: ${e.message}; nothing was revoked`);
    return 1;
  } finally {
    await store.close();
  }
}

export async function runCosmosCommand(
  command: string,
  argv: string[],
  out: Print,
  err: Print,
  env: Env = process.env,
): Promise<number> {
  if (command !== "gc") {
    err(`unknown command 'cosmos ${command}'; try: gc`);
    return 2;
  }
  const parsed = parse(
    argv,
    {
      env: { type: "string" },
      "expired-for": { type: "string" },
      "max-users": { type: "string" },
      store: { type: "string" },
      policies: { type: "string" },
      json: { type: "boolean" },
    },
    err,
  );
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const expiredFor = parseDuration((values["expired-for"] as string | undefined) ?? "1d");
  const maxUsers = Number(values["max-users"] ?? 500);
  if (expiredFor === undefined || !Number.isInteger(maxUsers) || maxUsers < 1) {
    err("token-broker cosmos gc: --expired-for takes a duration (e.g. 1d), --max-users a positive integer");
    return 2;
  }
  const compiled = compileFor(
    positionals[0],
    values.policies as string | undefined,
    values.env as string | undefined,
    err,
  );
  if (!compiled) return compiled === null ? 1 : 2;
  const db = cosmosDatabase(env, compiled.config.resources.cosmos?.database);
  if (!db) {
    err("token-broker cosmos gc: set COSMOS_ENDPOINT and COSMOS_KEY (the policy must declare resources.cosmos)");
    return 1;
  }
  // Safe without a shared store (deletes are conditional on the listed `_etag`: functions-src/mint/cosmos-cleanup.ts);
  // with one, the brokers' activity records and claims are honoured too.
  const shared = (values.store as string | undefined) ?? env.SHARED_STORE_URL;
  const store = shared ? await connect(shared, env, err) : new MemoryStore();
  if (!store) return 1;
  try {
    const result = await collectCosmosGarbage(db, { expiredForSeconds: expiredFor, maxUsersPerRun: maxUsers, store });
    out(
      values.json
        ? JSON.stringify(result)
        : `scanned ${result.scanned} user(s), deleted ${result.deleted}, skipped ${result.skippedActive} in use${result.wrapped ? "" : "; more left for the next run"}`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

function parse(
  argv: string[],
  options: Record<string, { type: "string" | "boolean" }>,
  err: Print,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } | undefined {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as {
      values: Record<string, string | boolean | undefined>;
      positionals: string[];
    };
  } catch (e) {
    err((e as Error).message);
    return undefined;
  }
}

/** undefined: a usage problem; null: the policy has errors (already printed). */
function compileFor(dir: string | undefined, flag: string | undefined, envName: string | undefined, err: Print) {
  if (!envName) {
    err("this command needs --env <name>");
    return undefined;
  }
  let found: string;
  try {
    found = findPolicyDir(dir, flag);
  } catch (e) {
    if (!(e instanceof PolicyDirError)) throw e;
    err(e.message);
    return undefined;
  }
  const loaded = loadCheckedPolicy(filesOnDisk(found));
  if (!loaded.ok) {
    for (const d of loaded.diagnostics.filter((x) => x.severity === "error")) err(formatDiagnostic(d));
    return null;
  }
  try {
    return compilePolicy(loaded.policy, envName);
  } catch (e) {
    err((e as Error).message);
    return undefined;
  }
}

async function connect(url: string | undefined, env: Env, err: Print): Promise<RedisStore | undefined> {
  const target = url ?? env.SHARED_STORE_URL;
  if (!target) {
    err("no shared store: pass --store <redis url> or set SHARED_STORE_URL");
    return undefined;
  }
  const objectId = env.SHARED_STORE_ENTRA_OBJECT_ID;
  try {
    return await RedisStore.connect({
      url: target,
      commandTimeoutMs: 5000,
      ...(objectId && { entra: { objectId, credential: new DefaultAzureCredential() } }),
    });
  } catch {
    err(`the shared store at ${new URL(target).host} cannot be reached`);
    return undefined;
  }
}

function cosmosDatabase(env: Env, database: string | undefined) {
  if (!env.COSMOS_ENDPOINT || !env.COSMOS_KEY || !database) return undefined;
  return new CosmosClient({ endpoint: env.COSMOS_ENDPOINT, key: env.COSMOS_KEY }).database(
    env.COSMOS_DATABASE ?? database,
  );
}
