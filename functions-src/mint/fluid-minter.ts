/** Fluid credentials: a token for the granted document and scopes, signed with the active tenant key. */
import { activeFluidKey, mintFluidToken } from "./fluid-token";
import type { Minter } from "./minter";

export interface FluidSettings {
  tenantId: string;
  endpoint: string;
  key1: string;
  key2: string;
  active: "key1" | "key2";
}

export function createFluidMinter(settings: () => FluidSettings): Minter<"fluid"> {
  return {
    async mint(grant, ctx) {
      // Settings are read per mint so a rotated key (a changed app setting) applies without a redeploy.
      const s = settings();
      // The Fluid contract's user is {id, name}, and AzureClient refuses a user without a name: fall back to the subject.
      const name = typeof ctx.claims.name === "string" && ctx.claims.name !== "" ? ctx.claims.name : ctx.subject;
      const token = mintFluidToken({
        tenantId: s.tenantId,
        documentId: grant.documentId,
        scopes: grant.scopes,
        user: { id: ctx.subject, name },
        ttlSeconds: grant.ttlSeconds,
        key: activeFluidKey(s),
        now: Math.floor(ctx.now / 1000),
      });
      return {
        type: "fluid",
        tenantId: s.tenantId,
        endpoint: s.endpoint,
        documentId: grant.documentId,
        scopes: grant.scopes,
        token: token.jwt,
        jti: token.jti,
        expiresAt: new Date(token.expiresAt * 1000).toISOString(),
      };
    },
  };
}
