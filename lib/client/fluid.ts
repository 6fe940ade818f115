/**
 * `@azure-token-broker/client/fluid`: a Fluid `ITokenProvider` on top of BrokerClient, for
 * `new AzureClient({ connection: { type: "remote", tenantId, endpoint, tokenProvider } })`.
 * Contract (facts.md, routerlicious-driver src/tokens.ts):
 * - `refresh === true` means the service rejected the last token: never answered from any cache;
 * - `fromCache` is true only when no broker call was made for this answer;
 * - a container being created (no documentId yet) gets its own single-use creation token, even when several
 *   containers are created at once;
 * - orderer and storage share one token per document: the broker's Fluid token carries both uses.
 * - a new container is registered with the broker before `attach()` resolves: the driver calls
 *   `documentPostCreateCallback(documentId, receipt)` with the receipt the service signed at creation
 *   (learn.microsoft.com/azure/azure-fluid-relay/how-tos/validate-document-creator), and a registration that fails
 *   fails the attach (the driver's DocumentPostCreateError), never leaving an unregistered document behind silently.
 *   A broker that records no owners (404 on the route) has nothing to register.
 * Errors are BrokerProblemErrors (the Fluid driver retries or surfaces them; a 403 stays a 403).
 */
import type { ITokenProvider, ITokenResponse } from "@fluidframework/azure-client";
import type { BrokerClient } from "./broker-client";
import type { FluidScope } from "./credential-types";
import { BrokerProblemError } from "./problem-error";

export interface BrokerFluidTokenProviderOptions {
  /** Scopes to ask for; the policy may grant fewer. @default the policy's grant */
  scopes?: FluidScope[];
  /** Called once a new container has its id (Fluid's optional hook), e.g. to record the document in an app index. */
  documentPostCreateCallback?(documentId: string, creationToken: string): void | Promise<void>;
}

export class BrokerFluidTokenProvider implements ITokenProvider {
  constructor(
    private readonly broker: BrokerClient,
    private readonly options: BrokerFluidTokenProviderOptions = {},
  ) {}

  async documentPostCreateCallback(documentId: string, creationToken: string): Promise<void> {
    try {
      await this.broker.registerFluidDocument(documentId, creationToken);
    } catch (e) {
      if (!(e instanceof BrokerProblemError && e.code === "not-found")) throw e;
    }
    await this.options.documentPostCreateCallback?.(documentId, creationToken);
  }

  fetchOrdererToken(tenantId: string, documentId?: string, refresh?: boolean): Promise<ITokenResponse> {
    return this.token(tenantId, documentId, refresh);
  }

  fetchStorageToken(tenantId: string, documentId: string, refresh?: boolean): Promise<ITokenResponse> {
    return this.token(tenantId, documentId, refresh);
  }

  private async token(_tenantId: string, documentId: string | undefined, refresh = false): Promise<ITokenResponse> {
    const scopes = this.options.scopes && { scopes: this.options.scopes };
    const request = documentId
      ? { type: "fluid" as const, documentId, ...scopes }
      : { type: "fluid" as const, create: true, ...scopes };
    const { credential, fromCache } = await this.broker.lookup(request, { forceRefresh: refresh });
    return { jwt: credential.token, fromCache };
  }
}
