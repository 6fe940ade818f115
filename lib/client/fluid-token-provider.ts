/**
 * A Fluid `ITokenProvider` backed by the token broker: drop it into `new AzureClient({ connection: { tokenProvider } })`.
 * - Tokens are cached per document until shortly before they expire; concurrent asks share one broker call.
 * - `refresh === true` means the service rejected the last token: it is never answered from the cache.
 * - Creating a container (no documentId yet) asks the broker for a creation token.
 */
export interface BrokerFluidTokenProviderOptions {
  /** The broker's token endpoint, e.g. https://func-docs-dev-….azurewebsites.net/api/token */
  brokerUrl: string;
  /** The caller's OIDC access token (called for every broker request, so it can refresh itself). */
  getAccessToken: () => Promise<string>;
  /** Refresh this long before expiry. @default 60 s */
  earlyRefreshSeconds?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

interface TokenResponse {
  jwt: string;
  fromCache?: boolean;
}

export class BrokerError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { type?: string; detail?: string } | undefined,
  ) {
    super(`the token broker answered ${status}${problem?.detail ? `: ${problem.detail}` : ""}`);
    this.name = "BrokerError";
  }
}

export class BrokerFluidTokenProvider {
  private readonly cache = new Map<string, { jwt: string; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<{ jwt: string; expiresAt: number }>>();

  constructor(private readonly o: BrokerFluidTokenProviderOptions) {}

  fetchOrdererToken(tenantId: string, documentId?: string, refresh?: boolean): Promise<TokenResponse> {
    return this.token(tenantId, documentId, refresh);
  }

  fetchStorageToken(tenantId: string, documentId: string, refresh?: boolean): Promise<TokenResponse> {
    return this.token(tenantId, documentId, refresh);
  }

  private async token(_tenantId: string, documentId: string | undefined, refresh = false): Promise<TokenResponse> {
    const key = documentId ?? "";
    const now = (this.o.now ?? Date.now)();
    const cached = this.cache.get(key);
    if (!refresh && cached && cached.expiresAt - (this.o.earlyRefreshSeconds ?? 60) * 1000 > now) return { jwt: cached.jwt, fromCache: true };
    let inFlight = refresh ? undefined : this.pending.get(key);
    if (!inFlight) {
      inFlight = this.request(documentId).finally(() => this.pending.delete(key));
      this.pending.set(key, inFlight);
    }
    const fresh = await inFlight;
    if (key) this.cache.set(key, fresh); // a creation token is single-use
    return { jwt: fresh.jwt, fromCache: false };
  }

  private async request(documentId: string | undefined): Promise<{ jwt: string; expiresAt: number }> {
    const request = documentId ? { type: "fluid", documentId } : { type: "fluid", create: true };
    const res = await (this.o.fetch ?? fetch)(this.o.brokerUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${await this.o.getAccessToken()}`, "content-type": "application/json" },
      body: JSON.stringify({ requests: [request] }),
    });
    const body = (await res.json().catch(() => undefined)) as { credentials?: { token: string; expiresAt: string }[]; detail?: string; type?: string } | undefined;
    const credential = body?.credentials?.[0];
    if (!res.ok || !credential) throw new BrokerError(res.status, body);
    return { jwt: credential.token, expiresAt: Date.parse(credential.expiresAt) };
  }
}
