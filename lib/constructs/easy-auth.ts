/**
 * Easy Auth v2 (the platform gate in front of the broker) for every issuer the policy trusts: a caller the policy
 * admits must never be refused by the platform before the broker sees it. What azurerm 4.55's `auth_settings_v2`
 * on `azurerm_function_app_flex_consumption` can express (provider schema, lib/function-app-flex-consumption):
 * - one `active_directory_v2` block (client_id, tenant_auth_endpoint, allowed_audiences, ...) for all Entra issuers.
 *   One tenant: that tenant's v2.0 endpoint. Several tenants: the multi-tenant `common` endpoint, and the tenant
 *   allow-list is the broker's own check, as Microsoft documents for multi-tenant apps: "When App Service
 *   Authentication is configured for a multi-tenant scenario, it does not validate which tenant the request comes
 *   from" (learn.microsoft.com/azure/app-service/configure-authentication-provider-aad). The endpoint is the tenant's
 *   v2.0 issuer URL, which the same page gives as the form to use, also for an issuer that accepts v1.0 tokens
 *   (issuer https://sts.windows.net/<tenant>/); that Easy Auth then admits v1.0 tokens is not confirmed here;
 * - one `custom_oidc_v2` block per non-Entra issuer URL (name, client_id, openid_configuration_endpoint). It has no
 *   allowed-audiences list (neither has the ARM `OpenIdConnectRegistration`: clientId, clientCredential,
 *   openIdConnectConfiguration), so the platform accepts only tokens whose audience is the client id: an OIDC issuer
 *   with more than one audience cannot be expressed, and synth fails naming it.
 * Not confirmed against a live deployment here (no Azure from this machine): that Flex Consumption's Easy Auth
 * validates bearer tokens of custom OIDC providers; the broker verifies every token itself either way (facts.md).
 */
import type { FunctionAppFlexConsumptionAuthSettingsV2 } from "@cdktf/provider-azurerm/lib/function-app-flex-consumption";

export interface EasyAuthIssuer {
  readonly type: "entra" | "oidc";
  /** The policy's issuer name (names the custom provider and any error). */
  readonly name: string;
  /**
   * Exact issuer URLs; an Entra issuer has one per allowed tenant and token version
   * (https://login.microsoftonline.com/<tenant>/v2.0, https://sts.windows.net/<tenant>/).
   */
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  /** OIDC discovery document per issuer URL, same order. @default `<issuer>/.well-known/openid-configuration` */
  readonly discovery?: readonly string[];
}

export interface EasyAuthProps {
  /** Every issuer of the compiled policy (infra needs). */
  readonly issuers: readonly EasyAuthIssuer[];
  /** The Entra app registration Easy Auth validates against. @default the first Entra audience */
  readonly entraClientId?: string;
}

/** Paths Easy Auth lets through unauthenticated: health only (it reveals nothing). */
export const UNAUTHENTICATED_PATHS = ["/api/health"];

/** Multi-tenant Entra endpoint (documented for multi-tenant apps; the broker enforces the tenant allow-list). */
export const ENTRA_MULTI_TENANT_ENDPOINT = "https://login.microsoftonline.com/common/v2.0";

export class EasyAuthIssuerError extends Error {
  constructor(
    readonly issuer: string,
    reason: string,
  ) {
    super(`Easy Auth cannot let issuer '${issuer}' through: ${reason}`);
    this.name = "EasyAuthIssuerError";
  }
}

export function easyAuthSettings(props: EasyAuthProps): FunctionAppFlexConsumptionAuthSettingsV2 {
  if (props.issuers.length === 0) throw new EasyAuthIssuerError("(none)", "the policy declares no issuer");
  const entra = props.issuers.filter((i) => i.type === "entra");
  const oidc = props.issuers.filter((i) => i.type === "oidc");
  const custom = oidc.flatMap(customProviders);
  const names = custom.map((c) => c.name);
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash) throw new EasyAuthIssuerError(clash, "two issuers map to the same custom provider name; rename one");

  const activeDirectoryV2 = entra.length > 0 ? entraProvider(entra, props.entraClientId) : undefined;
  return {
    authEnabled: true,
    requireAuthentication: true,
    unauthenticatedAction: "Return401",
    requireHttps: true,
    excludedPaths: UNAUTHENTICATED_PATHS,
    // The broker reads the bearer token itself; no token store, no login cookies.
    login: { tokenStoreEnabled: false },
    defaultProvider: activeDirectoryV2 ? "azureactivedirectory" : custom[0].name,
    ...(activeDirectoryV2 && { activeDirectoryV2 }),
    ...(custom.length > 0 && { customOidcV2: custom }),
  };
}

function entraProvider(entra: readonly EasyAuthIssuer[], clientId: string | undefined) {
  const endpoints = [...new Set(entra.flatMap((i) => i.issuers).map(v2Endpoint))];
  const audiences = [...new Set(entra.flatMap((i) => i.audiences))];
  const bad = entra.find((i) => i.issuers.length === 0 || i.audiences.length === 0);
  if (bad) throw new EasyAuthIssuerError(bad.name, "an Entra issuer needs at least one tenant and one audience");
  return {
    clientId: clientId ?? audiences[0],
    tenantAuthEndpoint: endpoints.length === 1 ? endpoints[0] : ENTRA_MULTI_TENANT_ENDPOINT,
    allowedAudiences: audiences,
  };
}

function customProviders(issuer: EasyAuthIssuer) {
  if (issuer.audiences.length !== 1) {
    throw new EasyAuthIssuerError(
      issuer.name,
      "custom_oidc_v2 has no allowed-audiences list, so it accepts only aud = client_id; " +
        `the policy gives ${issuer.audiences.length} audiences. Declare exactly one audience for this issuer.`,
    );
  }
  const base = issuer.name.replace(/[^A-Za-z0-9-]/g, "-");
  return issuer.issuers.map((url, i) => ({
    name: issuer.issuers.length > 1 ? `${base}-${i + 1}` : base,
    clientId: issuer.audiences[0],
    openidConfigurationEndpoint: issuer.discovery?.[i] ?? `${url.replace(/\/+$/, "")}/.well-known/openid-configuration`,
  }));
}

/** The tenant's v2.0 issuer URL for either version's issuer URL (one tenant stays one endpoint). */
function v2Endpoint(issuer: string): string {
  const v1 = /^https:\/\/sts\.windows\.net\/([^/]+)\/$/.exec(issuer);
  return v1 ? `https://login.microsoftonline.com/${v1[1]}/v2.0` : issuer;
}
