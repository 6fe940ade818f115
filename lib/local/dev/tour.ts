/**
 * The scripted tour of `npm run demo` (and of its end-to-end test): against a running `npm run dev`, every persona
 * signs in at the local issuer, asks the broker for Fluid, Cosmos and CDN credentials, and uses what it got against
 * the real local services: opens the shared note, reads its profile document (and is refused another's), loads its
 * tenant's image through the signed URL.
 */
import { CosmosClient } from "@azure/cosmos";
import { credentialsByRequest } from "./credentials-by-request";
import { fetchDevConfig, personaToken, type TourConfig } from "./dev-client";
import { fluidClient, NOTE_SCHEMA, type NoteText } from "./fluid-note";

export interface StepResult {
  ask: string;
  type: "fluid" | "cosmos" | "cdn";
  granted: boolean;
  /** Granted: what the credential is scoped to. Denied: the broker's reason code. */
  scope?: string;
  reason?: string;
  why?: string;
  /** Granted: what the real service did with the credential. */
  used?: { ok: boolean; detail: string };
}

export interface PersonaResult {
  persona: string;
  label: string;
  status: number;
  roles: string[];
  steps: StepResult[];
}

export async function runTour(
  demoUrl: string,
  only?: string[],
): Promise<{ policy: string; personas: PersonaResult[] }> {
  const config = await fetchDevConfig(demoUrl);
  const personas: PersonaResult[] = [];
  for (const p of config.personas.filter((x) => !only || only.includes(x.id)))
    personas.push(await tourOf(config, p, demoUrl));
  return { policy: config.policy.hash, personas };
}

async function tourOf(config: TourConfig, p: TourConfig["personas"][number], demoUrl: string): Promise<PersonaResult> {
  const token = await personaToken(config, p.id);
  const asks = [
    { ask: "Contoso's note", request: { type: "fluid", documentId: config.fluid.noteId } },
    { ask: "Fabrikam's note", request: { type: "fluid", documentId: config.fluid.fabrikamNoteId } },
    { ask: "my profile", request: { type: "cosmos", container: "profiles" } },
    { ask: "my tenant's image", request: { type: "cdn", path: config.cdn.logo[p.tenant] } },
    ...(p.tenant === "contoso"
      ? []
      : [{ ask: "Contoso's image", request: { type: "cdn", path: config.cdn.logo.contoso } }]),
  ];
  const res = await fetch(`${config.broker}/api/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ requests: asks.map((a) => a.request) }),
  });
  const body = (await res.json()) as {
    roles?: string[];
    credentials?: Record<string, unknown>[];
    denied?: { request: number; reason: string; message: string }[];
  };
  const steps: StepResult[] = [];
  const granted = credentialsByRequest(asks.length, body.credentials ?? [], body.denied ?? []);
  for (const [i, a] of asks.entries()) {
    const type = a.request.type as StepResult["type"];
    const c = granted.get(i);
    const d = body.denied?.find((x) => x.request === i);
    if (!c) {
      steps.push({ ask: a.ask, type, granted: false, reason: d?.reason ?? `http-${res.status}`, why: d?.message });
      continue;
    }
    const used = await use(config, p, token, c, demoUrl).catch((e: Error) => ({ ok: false, detail: e.message }));
    steps.push({ ask: a.ask, type, granted: true, scope: scopeOf(c), used });
  }
  return { persona: p.id, label: p.label, status: res.status, roles: body.roles ?? [], steps };
}

function scopeOf(c: Record<string, unknown>): string {
  if (c.type === "fluid") return (c.scopes as string[]).join(" ");
  if (c.type === "cosmos") return `${c.access} on ${c.container} partition ${JSON.stringify(c.partitionKey)}`;
  return `read ${String(c.path)}`;
}

async function use(
  config: TourConfig,
  p: TourConfig["personas"][number],
  token: string,
  c: Record<string, unknown>,
  demoUrl: string,
): Promise<{ ok: boolean; detail: string }> {
  if (c.type === "cdn") {
    // As the demo page's <img> would: the edge's referrer rule admits the app's own pages (allowedOrigins).
    const r = await fetch(String(c.url), { headers: { referer: `${demoUrl}/` } });
    const bytes = (await r.arrayBuffer()).byteLength;
    return {
      ok: r.status === 200,
      detail: `the CDN answered ${r.status} ${r.headers.get("content-type") ?? ""} (${bytes} bytes)`,
    };
  }
  if (c.type === "cosmos") {
    const client = new CosmosClient({
      endpoint: String(c.endpoint),
      resourceTokens: c.resourceTokens as Record<string, string>,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    const container = client.database(String(c.database)).container(String(c.container));
    const { resource } = await container.item(p.oid, p.oid).read<{ name: string }>();
    const other = config.personas.find((x) => x.id !== p.id)!.oid;
    const refused = await container
      .item(other, other)
      .read()
      .then(
        (r) => r.statusCode,
        (e: { code?: number }) => e.code,
      );
    return {
      ok: resource?.name === p.label && refused === 403,
      detail: `read the profile of ${resource?.name}; another person's profile: ${refused}`,
    };
  }
  const client = fluidClient(config.fluid.endpoint, config.broker, async () => token);
  const { container } = await client.getContainer(String(c.documentId), NOTE_SCHEMA, "2");
  try {
    await connected(container);
    const note = container.initialObjects.note as unknown as NoteText;
    const text = note.getText();
    const writes = (c.scopes as string[]).includes("doc:write");
    return {
      ok: text.length > 0,
      detail: `opened the note (${text.length} characters)${writes ? ", may edit it" : ", read-only"}`,
    };
  } finally {
    container.dispose();
  }
}

/** Tinylicious checks the token when the delta connection opens: connected means the service accepted it. */
function connected(
  container: { connectionState: number; on(e: string, f: () => void): void },
  ms = 10_000,
): Promise<void> {
  if (container.connectionState === 2) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the Fluid service did not accept the connection")), ms);
    container.on("connected", () => (clearTimeout(timer), resolve()));
  });
}

export function formatTour(t: { policy: string; personas: PersonaResult[] }): string {
  const lines = [`policy ${t.policy}`];
  for (const p of t.personas) {
    lines.push(
      "",
      `${p.persona} (${p.label}): broker ${p.status}, roles ${p.roles.length ? p.roles.join(", ") : "none"}`,
    );
    for (const s of p.steps) {
      if (!s.granted) lines.push(`  ✘ ${s.type.padEnd(6)} ${s.ask}: denied (${s.reason})${s.why ? ` ${s.why}` : ""}`);
      else
        lines.push(`  ${s.used?.ok ? "✔" : "!"} ${s.type.padEnd(6)} ${s.ask}: granted ${s.scope}; ${s.used?.detail}`);
    }
  }
  return lines.join("\n");
}
