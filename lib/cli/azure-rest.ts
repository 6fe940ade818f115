/**
 * The few Azure REST calls `token-broker deploy publish` makes (ARM and the app's SCM site), each with an Entra bearer
 * token, each failure one line that names the step, the HTTP status and what usually fixes it. A token never reaches
 * a message: bodies are cut to their error text and any copy of the token is redacted.
 */
import type { TokenCredential } from "@azure/identity";

/** Both ARM and the Flex Consumption SCM site (One Deploy) take an ARM token (see deploy-publish.ts). */
export const ARM_SCOPE = "https://management.azure.com/.default";
export const ARM_ENDPOINT = "https://management.azure.com";
/** Microsoft.Web REST API version (learn.microsoft.com/rest/api/appservice/web-apps). */
export const WEB_API_VERSION = "2024-04-01";

export class DeployStepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
    this.name = "DeployStepError";
  }
}

export interface RestOptions {
  readonly credential: TokenCredential;
  readonly fetch?: typeof fetch;
  /** Per request. @default 120 s (an upload of a few MB on a slow runner) */
  readonly timeoutMs?: number;
  /** The token's scope. @default ARM_SCOPE (Key Vault's data plane: https://vault.azure.net/.default) */
  readonly scope?: string;
}

export interface RestAnswer {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export class AzureRest {
  private token?: { value: string; expiresAt: number };

  constructor(private readonly options: RestOptions) {}

  /** One request; `ok` lists the statuses that are not a failure of `step`. */
  async call(
    step: string,
    method: string,
    url: string,
    ok: number[],
    body?: { data: Uint8Array | string; contentType: string },
    hint?: (status: number) => string | undefined,
  ): Promise<RestAnswer> {
    const token = await this.bearer(step);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, "cache-control": "no-cache" };
    if (body) headers["content-type"] = body.contentType;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method,
        headers,
        // undici takes a Uint8Array body; the DOM typings do not list it.
        body: body?.data as unknown as BodyInit | undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
      });
    } catch (e) {
      throw new DeployStepError(step, `${method} ${withoutQuery(url)} did not answer: ${(e as Error).message}`);
    }
    const text = await response.text().catch(() => "");
    if (!ok.includes(response.status)) {
      const why = hint?.(response.status) ?? defaultHint(response.status);
      const detail = errorText(text, token);
      throw new DeployStepError(
        step,
        `HTTP ${response.status} from ${method} ${withoutQuery(url)}${detail ? ` (${detail})` : ""}${why ? `; ${why}` : ""}`,
      );
    }
    return { status: response.status, headers: response.headers, text, json: () => parseJson(step, text) };
  }

  /** An answer body as one safe line (error text only, this client's token redacted). */
  detail(text: string): string {
    return errorText(text, this.token?.value ?? "");
  }

  private async bearer(step: string): Promise<string> {
    if (this.token && this.token.expiresAt - Date.now() > 120_000) return this.token.value;
    let got;
    try {
      got = await this.options.credential.getToken(this.options.scope ?? ARM_SCOPE);
    } catch (e) {
      throw new DeployStepError(step, `no Azure credential (${firstLine((e as Error).message)}); run \`az login\``);
    }
    if (!got?.token) throw new DeployStepError(step, "the Azure credential returned no token; run `az login`");
    this.token = { value: got.token, expiresAt: got.expiresOnTimestamp };
    return got.token;
  }
}

function defaultHint(status: number): string | undefined {
  if (status === 401) return "the token was refused: log in again (`az login`, or azure/login in a workflow)";
  if (status === 403)
    return "the signed-in identity lacks a role on the app (Website Contributor or Contributor on the Function App)";
  if (status === 404) return "not found: was `cdktf deploy` of this stack applied in this subscription?";
  if (status === 409) return "another deployment or operation is in progress; retry when it ends";
  if (status === 429 || status >= 500) return "Azure is busy or failing; retry later";
  return undefined;
}

function parseJson(step: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DeployStepError(step, "the answer is not JSON");
  }
}

/** An ARM error's `error.message`, a Kudu `Message`, or the body's first line; at most 200 characters. */
function errorText(text: string, token: string): string {
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string }; Message?: string };
    message = body.error
      ? `${body.error.code ?? ""} ${body.error.message ?? ""}`.trim()
      : (body.Message ?? JSON.stringify(body));
  } catch {
    // not JSON: keep the text
  }
  return firstLine(token ? message.split(token).join("[redacted]") : message).slice(0, 200);
}

function firstLine(s: string): string {
  return (
    s
      .split(/\r?\n/)
      .find((l) => l.trim())
      ?.trim() ?? ""
  );
}

/** Query strings of these endpoints carry no secret, but the API version is noise in an error line. */
function withoutQuery(url: string): string {
  return url.split("?")[0];
}
