/**
 * What Microsoft Entra ID writes into an access token for a registered API, by token version. Sources:
 * learn.microsoft.com/entra/identity-platform/access-token-claims-reference (`aud`: "In v2.0 tokens, this value is
 * always the client ID of the API. In v1.0 tokens, it can be the client ID or the resource URI used in the request";
 * `iss` ends in `/v2.0` for a v2.0 token; `ver` is 1.0 or 2.0) and .../access-tokens ("Token formats": v1.0 tokens
 * are issued by https://sts.windows.net/<tenant>/; "v1.0 and v2.0 tokens": the v1.0 metadata document is
 * https://login.microsoftonline.com/<tenant>/.well-known/openid-configuration).
 * The API's registration chooses the version, not the client: `api.requestedAccessTokenVersion` (manifest
 * `accessTokenAcceptedVersion`); null or 1 gives v1.0 tokens from either endpoint (.../reference-app-manifest).
 */
import type { EntraTokenVersion, IssuerSource } from "./source-types";

export const DEFAULT_ENTRA_TOKEN_VERSION: EntraTokenVersion = 2;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The token versions an Entra issuer accepts, ascending. */
export function entraTokenVersions(issuer: IssuerSource): EntraTokenVersion[] {
  const v = issuer.tokenVersion ?? DEFAULT_ENTRA_TOKEN_VERSION;
  return [...new Set(Array.isArray(v) ? v : [v])].sort();
}

/** The exact `iss` of tenant's tokens of that version, and the discovery document that names it. */
export function entraIssuer(tenant: string, version: EntraTokenVersion): { issuer: string; discovery: string } {
  return version === 2
    ? {
        issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
        discovery: `https://login.microsoftonline.com/${tenant}/v2.0/.well-known/openid-configuration`,
      }
    : {
        issuer: `https://sts.windows.net/${tenant}/`,
        discovery: `https://login.microsoftonline.com/${tenant}/.well-known/openid-configuration`,
      };
}

/** A v2.0 access token's `aud` is the API's client id: anything that is not a GUID never occurs in one. */
export function canBeV2Audience(audience: string): boolean {
  return GUID.test(audience);
}
