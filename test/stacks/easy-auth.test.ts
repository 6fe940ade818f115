/** Easy Auth follows the policy: every issuer and every allowed tenant gets through the platform gate, or synth fails. */
import { ENTRA_MULTI_TENANT_ENDPOINT, EasyAuthIssuerError, easyAuthSettings } from "../../lib/constructs/easy-auth";
import { examplePolicyText, only, synthEnvironment } from "./helpers";

const SECOND_TENANT = "6a1b2c3d-0000-4000-8000-00000000e002";
const partnerIssuer = (audiences: string) => `
  partners:
    type: oidc
    issuer: https://login.partners.example
    audiences: ${audiences}
    algorithms: [ES256]
    claims:
      sub: { type: string }
      oid: { type: string, format: uuid }
      tid: { type: string, format: uuid }
      name: { type: string }
      roles: { type: "string[]" }
      groups: { type: "string[]" }
`;
const twoIssuersTwoTenants = (audiences = "[api://token-broker-partners]") =>
  examplePolicyText()
    .replace('tenants: ["${env.tenantId}"]', `tenants: ["\${env.tenantId}", "${SECOND_TENANT}"]`)
    .replace("\nresources:", `${partnerIssuer(audiences)}\nresources:`);

describe("issue 7.4 Easy Auth lets every issuer and every allowed tenant of the policy through", () => {
  it("two tenants: the multi-tenant Entra endpoint, the tenant allow-list left to the broker", () => {
    const text = examplePolicyText().replace(
      'tenants: ["${env.tenantId}"]',
      `tenants: ["\${env.tenantId}", "${SECOND_TENANT}"]`,
    );
    const auth = only(
      synthEnvironment("prod", { policyText: text }).json.resource,
      "azurerm_function_app_flex_consumption",
    ).auth_settings_v2;
    expect(auth.active_directory_v2).toEqual({
      client_id: "6a1b2c3d-0000-4000-8000-00000000f0c1",
      tenant_auth_endpoint: ENTRA_MULTI_TENANT_ENDPOINT,
      allowed_audiences: ["6a1b2c3d-0000-4000-8000-00000000f0c1"],
    });
    expect(auth.custom_oidc_v2).toBeUndefined();
  });

  it("one tenant accepting v1.0 and v2.0 tokens stays on that tenant's v2.0 endpoint, not `common` (issue 22 item 5)", () => {
    const text = examplePolicyText().replace("tokenVersion: 2", "tokenVersion: [1, 2]");
    const synth = synthEnvironment("prod", { policyText: text });
    expect(synth.compiled.config.issuers[0].issuers).toEqual([
      "https://sts.windows.net/6a1b2c3d-0000-4000-8000-00000000f001/",
      "https://login.microsoftonline.com/6a1b2c3d-0000-4000-8000-00000000f001/v2.0",
    ]);
    const auth = only(synth.json.resource, "azurerm_function_app_flex_consumption").auth_settings_v2;
    expect(auth.active_directory_v2.tenant_auth_endpoint).toBe(
      "https://login.microsoftonline.com/6a1b2c3d-0000-4000-8000-00000000f001/v2.0",
    );
  });

  it("two issuers (Entra with two tenants + an OIDC issuer): one active_directory_v2 and one custom_oidc_v2", () => {
    const auth = only(
      synthEnvironment("prod", { policyText: twoIssuersTwoTenants() }).json.resource,
      "azurerm_function_app_flex_consumption",
    ).auth_settings_v2;
    expect(auth).toMatchObject({
      auth_enabled: true,
      require_authentication: true,
      unauthenticated_action: "Return401",
      default_provider: "azureactivedirectory",
    });
    expect(auth.active_directory_v2.tenant_auth_endpoint).toBe(ENTRA_MULTI_TENANT_ENDPOINT);
    expect(auth.custom_oidc_v2).toEqual([
      {
        name: "partners",
        client_id: "api://token-broker-partners",
        openid_configuration_endpoint: "https://login.partners.example/.well-known/openid-configuration",
      },
    ]);
  });

  it("one tenant keeps that tenant's endpoint (the example policy)", () => {
    const auth = only(synthEnvironment("prod").json.resource, "azurerm_function_app_flex_consumption").auth_settings_v2;
    expect(auth.active_directory_v2.tenant_auth_endpoint).toBe(
      "https://login.microsoftonline.com/6a1b2c3d-0000-4000-8000-00000000f001/v2.0",
    );
    expect(auth.custom_oidc_v2).toBeUndefined();
  });

  it("fails synth, naming the issuer, when Easy Auth cannot express it (an OIDC issuer with two audiences)", () => {
    const text = twoIssuersTwoTenants("[api://a, api://b]");
    expect(() => synthEnvironment("prod", { policyText: text })).toThrow(EasyAuthIssuerError);
    expect(() => synthEnvironment("prod", { policyText: text })).toThrow(
      /issuer 'partners'.*aud = client_id.*2 audiences/,
    );
  });

  it("an OIDC-only policy makes its provider the default; two OIDC issuers get two providers", () => {
    const settings = easyAuthSettings({
      issuers: [
        { type: "oidc", name: "google", issuers: ["https://accounts.google.com"], audiences: ["client-a"] },
        { type: "oidc", name: "local idp", issuers: ["http://127.0.0.1:9000/"], audiences: ["client-b"] },
      ],
    });
    expect(settings.defaultProvider).toBe("google");
    expect(settings.activeDirectoryV2).toBeUndefined();
    expect(settings.customOidcV2).toEqual([
      {
        name: "google",
        clientId: "client-a",
        openidConfigurationEndpoint: "https://accounts.google.com/.well-known/openid-configuration",
      },
      {
        name: "local-idp",
        clientId: "client-b",
        openidConfigurationEndpoint: "http://127.0.0.1:9000/.well-known/openid-configuration",
      },
    ]);
  });
});
