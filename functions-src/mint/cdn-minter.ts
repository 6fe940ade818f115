/**
 * CDN credentials: a URL for the granted blob with a SAS (learn.microsoft.com/azure/frontdoor/scenario-storage-blobs):
 * `sp=r`, `se` from the TTL, `spr=https` (unless the grant allows http), `sip` when the grant binds the client IP,
 * `sr=b` (the one blob asked for, never its container), and `rscc` so any cache (Front Door, browser) keeps the
 * response no longer than the token lives.
 * Signing: a user delegation key obtained with the function's identity (Azure, keyless), or the account key
 * (local runs; primary/backup for rotation).
 */
import { isIPv4 } from "node:net";
import type { UserDelegationKey } from "@azure/storage-blob";
import { BackendUnavailableError } from "../errors";
import type { Minter } from "./minter";
import { storageSdk } from "../load-sdk";

export type SasSigner =
  | {
      kind: "account-key";
      accountName: string;
      keys: { primary: string; secondary?: string; active: "primary" | "secondary" };
    }
  | { kind: "user-delegation"; accountName: string; userDelegationKey(expiresOn: Date): Promise<UserDelegationKey> };

export interface CdnSettings {
  /** Front Door endpoint (https://fde-….azurefd.net) or, locally, the origin container URL. Paths are appended. */
  baseUrl: string;
  /** Origin container the paths live in. */
  container: string;
  signer: SasSigner;
  /** SAS service version; azurite 3.35 accepts up to 2025-11-05 (measured here). @default "2025-11-05" */
  sasVersion?: string;
}

/** Start a little in the past: a client clock a minute fast must not see a "not yet valid" URL. */
const START_SKEW_MS = 5 * 60_000;

export function createCdnMinter(settings: () => CdnSettings): Minter<"cdn"> {
  return {
    probe() {
      settings();
    },
    async mint(grant, ctx) {
      const s = settings();
      if (grant.path.endsWith("/")) throw new RangeError("a CDN credential names one blob");
      if (grant.bindClientIp && !(ctx.clientIp && isIPv4(ctx.clientIp))) {
        // SAS binds IPv4 only; without a trusted IPv4 address the grant cannot be honoured as written.
        throw new BackendUnavailableError("client-ip", 60);
      }
      const { BlobSASPermissions, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } =
        storageSdk();
      const expiresOn = new Date(ctx.now + grant.ttlSeconds * 1000);
      const options = {
        containerName: s.container,
        blobName: grant.path.slice(1),
        permissions: BlobSASPermissions.parse("r"),
        startsOn: new Date(ctx.now - START_SKEW_MS),
        expiresOn,
        protocol: grant.protocol === "https" ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
        ...(grant.bindClientIp && { ipRange: { start: ctx.clientIp! } }),
        cacheControl: `max-age=${grant.ttlSeconds}`,
        version: s.sasVersion ?? "2025-11-05",
      };
      let sas: string;
      if (s.signer.kind === "account-key") {
        const key =
          s.signer.keys.active === "secondary" && s.signer.keys.secondary
            ? s.signer.keys.secondary
            : s.signer.keys.primary;
        sas = generateBlobSASQueryParameters(
          options,
          new StorageSharedKeyCredential(s.signer.accountName, key),
        ).toString();
      } else {
        let delegation: UserDelegationKey;
        try {
          delegation = await s.signer.userDelegationKey(expiresOn);
        } catch {
          throw new BackendUnavailableError("storage (user delegation key)", 10);
        }
        sas = generateBlobSASQueryParameters(options, delegation, s.signer.accountName).toString();
      }
      const encodedPath = grant.path.split("/").map(encodeURIComponent).join("/");
      return {
        type: "cdn",
        path: grant.path,
        url: `${s.baseUrl.replace(/\/+$/, "")}${encodedPath}?${sas}`,
        bindClientIp: grant.bindClientIp,
        expiresAt: expiresOn.toISOString(),
      };
    },
  };
}
