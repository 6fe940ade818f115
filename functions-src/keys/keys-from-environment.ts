/**
 * In Azure the stacks set KEY_VAULT_URL and ROTATED_KEYS (and no key setting): the broker then reads the rotated key
 * documents of the backends it mints for from that vault with its managed identity. One source per process and vault, shared by the
 * minters, the Fluid owner registration and the Cosmos GC timer.
 */
import type { TokenCredential } from "@azure/identity";
import { APP_SETTING } from "../../lib/policy/runtime/app-settings";
import { identitySdk } from "../load-sdk";
import { KEY_SECRET } from "./key-document";
import { keyVaultSecretReader, KEY_VAULT_SCOPE } from "./key-vault-secret-reader";
import { RotatedKeySource } from "./rotated-key-source";

type Env = Readonly<Record<string, string | undefined>>;

const sources = new Map<string, RotatedKeySource>();

export function rotatedKeysFromEnvironment(env: Env): RotatedKeySource | undefined {
  const vault = env[APP_SETTING.keyVaultUrl];
  if (!vault) return undefined;
  // Only the backends this environment mints for (a Cosmos account used through RBAC alone has no key to read).
  const listed = new Set((env[APP_SETTING.rotatedKeys] ?? "").split(",").map((s) => s.trim()));
  const names = (["fluid", "cosmos"] as const).filter((r) => listed.has(r)).map((r) => KEY_SECRET[r]);
  const id = `${vault}\n${names.join(",")}`;
  let source = sources.get(id);
  if (!source) {
    // The Identity SDK loads on the first read, not at start (load-sdk.ts).
    let credential: TokenCredential | undefined;
    const bearer = async () => {
      credential ??= new (identitySdk().ManagedIdentityCredential)();
      const token = await credential.getToken(KEY_VAULT_SCOPE);
      if (!token?.token) throw new Error("no managed identity token for Key Vault");
      return token.token;
    };
    source = new RotatedKeySource(keyVaultSecretReader(vault, bearer), names);
    sources.set(id, source);
  }
  return source;
}
