/**
 * Azure Front Door Standard/Premium in front of the CDN origin container. Private prefixes cache per signed URL
 * (UseQueryString), so no cached copy reaches a caller without a valid SAS (learn.microsoft.com/azure/frontdoor/scenario-storage-blobs).
 * Country and referrer rules from the policy become WAF custom rules, enforced for every request.
 */
import { CdnFrontdoorEndpoint } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-endpoint";
import {
  CdnFrontdoorFirewallPolicy,
  type CdnFrontdoorFirewallPolicyCustomRule,
} from "@cdktf/provider-azurerm/lib/cdn-frontdoor-firewall-policy";
import { CdnFrontdoorOrigin } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-origin";
import { CdnFrontdoorOriginGroup } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-origin-group";
import { CdnFrontdoorProfile } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-profile";
import { CdnFrontdoorRoute } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-route";
import { CdnFrontdoorRule } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-rule";
import { CdnFrontdoorRuleSet } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-rule-set";
import { CdnFrontdoorSecurityPolicy } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-security-policy";
import { Construct } from "constructs";
import { platformOrigins } from "./cors";
import type { InfraNeeds } from "../policy/authoring/infra-needs";

/** Custom rules one Front Door WAF policy takes (azurerm's schema, and the service's limit). */
export const MAX_WAF_CUSTOM_RULES = 100;

export type CdnPrefix = NonNullable<InfraNeeds["cdn"]>["prefixes"][number];

export interface FrontDoorProps {
  readonly profileName: string;
  readonly endpointName: string;
  readonly wafPolicyName: string;
  readonly resourceGroupName: string;
  /** @default "Standard_AzureFrontDoor" */
  readonly sku?: "Standard_AzureFrontDoor" | "Premium_AzureFrontDoor";
  /** Blob host of the origin storage account and the container CDN paths map into. */
  readonly originHost: string;
  readonly originContainer: string;
  readonly prefixes: CdnPrefix[];
  /** Status the WAF answers a blocked request with. @default 403 */
  readonly denialStatus?: number;
  /**
   * Reach a storage account without public access through Private Link (Premium only). The connection waits for
   * approval on the storage account (learn.microsoft.com/azure/frontdoor/standard-premium/how-to-enable-private-link-
   * storage-account). @default none: the origin is public
   */
  readonly privateOrigin?: { storageAccountId: string; location: string };
  /** Web origins whose pages fetch() CDN URLs: the edge answers each with its own Allow-Origin. @default none */
  readonly allowedOrigins?: string[];
  readonly tags: Record<string, string>;
}

export class FrontDoor extends Construct {
  readonly profile: CdnFrontdoorProfile;
  readonly endpoint: CdnFrontdoorEndpoint;
  readonly firewallPolicy: CdnFrontdoorFirewallPolicy;
  readonly routes: CdnFrontdoorRoute[] = [];

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    const sku = props.sku ?? "Standard_AzureFrontDoor";
    if (props.privateOrigin && sku !== "Premium_AzureFrontDoor")
      throw new Error(
        "FrontDoorProps.privateOrigin needs sku Premium_AzureFrontDoor (Private Link origins are Premium only)",
      );
    this.profile = new CdnFrontdoorProfile(this, "profile", {
      name: props.profileName,
      resourceGroupName: props.resourceGroupName,
      skuName: sku,
      tags: props.tags,
    });
    this.endpoint = new CdnFrontdoorEndpoint(this, "endpoint", {
      name: props.endpointName,
      cdnFrontdoorProfileId: this.profile.id,
      tags: props.tags,
    });
    const group = new CdnFrontdoorOriginGroup(this, "origin-group", {
      name: "blob-origin",
      cdnFrontdoorProfileId: this.profile.id,
      sessionAffinityEnabled: false,
      loadBalancing: { sampleSize: 4, successfulSamplesRequired: 3 },
    });
    const origin = new CdnFrontdoorOrigin(this, "origin", {
      name: "blob",
      cdnFrontdoorOriginGroupId: group.id,
      hostName: props.originHost,
      originHostHeader: props.originHost,
      certificateNameCheckEnabled: true,
      httpsPort: 443,
      enabled: true,
      ...(props.privateOrigin && {
        privateLink: {
          privateLinkTargetId: props.privateOrigin.storageAccountId,
          targetType: "blob",
          location: props.privateOrigin.location,
          requestMessage: "Front Door origin for the token broker's CDN",
        },
      }),
    });
    const ruleSet = new CdnFrontdoorRuleSet(this, "rule-set", {
      name: "securityheaders",
      cdnFrontdoorProfileId: this.profile.id,
    });
    new CdnFrontdoorRule(this, "security-headers", {
      name: "SecurityHeaders",
      cdnFrontdoorRuleSetId: ruleSet.id,
      order: 1,
      behaviorOnMatch: "Continue",
      actions: {
        responseHeaderAction: [
          { headerAction: "Overwrite", headerName: "X-Content-Type-Options", value: "nosniff" },
          { headerAction: "Overwrite", headerName: "Strict-Transport-Security", value: "max-age=31536000" },
        ],
      },
    });
    // Front Door caches the first answer with whatever Allow-Origin it carried; set it per request Origin instead.
    platformOrigins(this, props.allowedOrigins, "Front Door CORS").forEach((origin, i) => {
      new CdnFrontdoorRule(this, `cors-${i}`, {
        name: `CorsOrigin${i + 1}`,
        cdnFrontdoorRuleSetId: ruleSet.id,
        order: 2 + i,
        behaviorOnMatch: "Continue",
        conditions: { requestHeaderCondition: [{ headerName: "Origin", operator: "Equal", matchValues: [origin] }] },
        actions: {
          responseHeaderAction: [
            { headerAction: "Overwrite", headerName: "Access-Control-Allow-Origin", value: origin },
            { headerAction: "Overwrite", headerName: "Vary", value: "Origin" },
          ],
        },
      });
    });
    props.prefixes.forEach((p, i) => {
      this.routes.push(
        new CdnFrontdoorRoute(this, `route-${i}`, {
          name: `route-${routeSlug(p.prefix)}`,
          cdnFrontdoorEndpointId: this.endpoint.id,
          cdnFrontdoorOriginGroupId: group.id,
          cdnFrontdoorOriginIds: [origin.id],
          cdnFrontdoorOriginPath: `/${props.originContainer}`,
          cdnFrontdoorRuleSetIds: [ruleSet.id],
          patternsToMatch: [`${p.prefix}*`],
          // HTTPS only: a signed URL sent over plain HTTP would leak its signature before any redirect.
          supportedProtocols: ["Https"],
          httpsRedirectEnabled: false,
          forwardingProtocol: "HttpsOnly",
          linkToDefaultDomain: true,
          cache: {
            queryStringCachingBehavior: p.queryStringCaching,
            compressionEnabled: true,
            contentTypesToCompress: ["text/css", "text/javascript", "application/json", "image/svg+xml"],
          },
          dependsOn: [origin],
        }),
      );
    });
    const customRules = edgeRules(props.prefixes);
    // azurerm 4.55: custom_rule MaxItems 100 (cdn_frontdoor_firewall_policy_resource.go:137-139 at v4.55.0).
    if (customRules.length > MAX_WAF_CUSTOM_RULES) {
      throw new Error(
        `FrontDoorProps.prefixes: ${customRules.length} edge rules compile to WAF custom rules; a WAF policy takes at most ${MAX_WAF_CUSTOM_RULES}`,
      );
    }
    this.firewallPolicy = new CdnFrontdoorFirewallPolicy(this, "waf", {
      name: props.wafPolicyName,
      resourceGroupName: props.resourceGroupName,
      skuName: sku,
      mode: "Prevention",
      enabled: true,
      customBlockResponseStatusCode: props.denialStatus ?? 403,
      customRule: customRules,
      ...(sku === "Premium_AzureFrontDoor" && {
        managedRule: [{ type: "Microsoft_DefaultRuleSet", version: "2.1", action: "Block" }],
      }),
      tags: props.tags,
    });
    new CdnFrontdoorSecurityPolicy(this, "security-policy", {
      name: "waf",
      cdnFrontdoorProfileId: this.profile.id,
      securityPolicies: {
        firewall: {
          cdnFrontdoorFirewallPolicyId: this.firewallPolicy.id,
          association: { domain: [{ cdnFrontdoorDomainId: this.endpoint.id }], patternsToMatch: ["/*"] },
        },
      },
    });
  }

  get hostName(): string {
    return this.endpoint.hostName;
  }
}

/**
 * What the policy decides of the edge, mapped once: the platform builds its Front Door with it, and the local CDN
 * edge (lib/local/edge) synthesizes the same construct from it, so the rules run locally are the ones deployed.
 */
export function frontDoorPolicyProps(
  infra: InfraNeeds,
): Pick<FrontDoorProps, "sku" | "prefixes" | "denialStatus" | "allowedOrigins"> {
  if (!infra.cdn) throw new Error(`${infra.environment.name}: the policy declares no CDN prefixes: no Front Door`);
  return {
    sku: infra.azure.frontDoorSku,
    prefixes: infra.cdn.prefixes,
    denialStatus: infra.cdn.denialStatus,
    allowedOrigins: infra.allowedOrigins,
  };
}

function routeSlug(prefix: string): string {
  return (
    prefix
      .replace(/^\/|\/$/g, "")
      .replace(/[^A-Za-z0-9]+/g, "-")
      .toLowerCase() || "root"
  );
}

/**
 * One WAF custom rule per edge rule. Each matches the prefix (the request URI, absolute or not) AND the rule's test.
 * Countries use SocketAddr, the TCP peer, not RemoteAddr, which follows X-Forwarded-For that a client can set.
 * `ZZ` (unknown country) is blocked with every deny list, and is outside every allow list unless listed.
 */
export function edgeRules(prefixes: CdnPrefix[]): CdnFrontdoorFirewallPolicyCustomRule[] {
  const rules: CdnFrontdoorFirewallPolicyCustomRule[] = [];
  for (const p of prefixes) {
    const onPrefix = {
      matchVariable: "RequestUri",
      operator: "RegEx",
      matchValues: [`^(https?://[^/]+)?${escapeRegex(p.prefix)}`],
    };
    const add = (kind: string, condition: Record<string, unknown>) =>
      rules.push({
        name: `${kind}${rules.length + 1}`,
        type: "MatchRule",
        action: "Block",
        enabled: true,
        priority: (rules.length + 1) * 10,
        matchCondition: [onPrefix, condition] as CdnFrontdoorFirewallPolicyCustomRule["matchCondition"],
      });
    const countries = p.edge?.countries;
    if (countries?.deny)
      add("GeoDeny", { matchVariable: "SocketAddr", operator: "GeoMatch", matchValues: [...countries.deny, "ZZ"] });
    if (countries?.allow)
      add("GeoAllow", {
        matchVariable: "SocketAddr",
        operator: "GeoMatch",
        negationCondition: true,
        matchValues: countries.allow,
      });
    const referrers = p.edge?.referrers;
    // A request without a Referer header fails an allow list: browsers send it for embedded content.
    if (referrers?.allow)
      add("RefAllow", {
        matchVariable: "RequestHeader",
        selector: "Referer",
        operator: "BeginsWith",
        negationCondition: true,
        matchValues: referrers.allow.map((r) => r.toLowerCase()),
        transforms: ["Lowercase"],
      });
    if (referrers?.deny)
      add("RefDeny", {
        matchVariable: "RequestHeader",
        selector: "Referer",
        operator: "BeginsWith",
        matchValues: referrers.deny.map((r) => r.toLowerCase()),
        transforms: ["Lowercase"],
      });
  }
  return rules;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
