/**
 * `@azure-token-broker/client/fluid`: a Fluid `ITokenProvider` on top of BrokerClient, for
 * `new AzureClient({ connection: { type: "remote", tenantId, endpoint, tokenProvider } })`.
 * Contract (facts.md, routerlicious-driver src/tokens.ts):
 * - `refresh === true` means the service rejected the last token: never answered from any cache;
 * - `fromCache` is true only when no broker call was made for this answer;
 * - a container being created (no documentId yet) gets its own single-use creation token, even when several
 *   containers are created at once;
 * - orderer and storage share one token per document: the broker's Fluid token carries both uses.
 * Errors are BrokerProblemErrors (the Fluid driver retries or surfaces them; a 403 stays a 403).
 */
import type { ITokenProvider, ITokenResponse } from "@fluidframework/azure-client";
import type { BrokerClient } from "./broker-client";
import type { FluidScope } from "./credential-types";

export interface BrokerFluidTokenProviderOptions {
  /** Scopes to ask for; the policy may grant fewer. @default the policy's grant */
  scopes?: FluidScope[];
  /** Called once a new container has its id (Fluid's optional hook), e.g. to record the document in an app index. */
  documentPostCreateCallback?(documentId: string, creationToken: string): void | Promise<void>;
}

export class BrokerFluidTokenProvider implements ITokenProvider {
  readonly documentPostCreateCallback?: (documentId: string, creationToken: string) => Promise<void>;

  constructor(
    private readonly broker: BrokerClient,
    private readonly options: BrokerFluidTokenProviderOptions = {},
  ) {
    const callback = options.documentPostCreateCallback;
    if (callback) this.documentPostCreateCallback = async (id, token) => callback(id, token);
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
