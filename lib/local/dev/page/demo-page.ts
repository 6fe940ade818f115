/// <reference lib="dom" />
/**
 * The demo page's script (bundled for the browser at dev start). It does what an app does: sign in (here: pick a
 * persona, the local issuer's token endpoint signs the token), ask the broker for credentials, and use them directly
 * against Fluid, Cosmos and the CDN. `/dev/explain` shows which roles matched and why (dev only).
 */
import { AzureClient } from "@fluidframework/azure-client";
import { CosmosClient } from "@azure/cosmos";
import { SharedMap } from "fluid-framework/legacy";
import { BrokerFluidTokenProvider } from "../../../client/fluid-token-provider";
import { credentialsByRequest } from "../credentials-by-request";

interface DevConfig {
  issuer: string;
  audience: string;
  fluid: { endpoint: string; tenantId: string; noteId: string };
  cosmos: { endpoint: string; standIn: boolean };
  cdn: { logo: { contoso: string; fabrikam: string } };
  policy: { hash: string; environment: string; error: string | null };
  personas: { id: string; label: string; expect: string; tenant: "contoso" | "fabrikam"; oid: string }[];
}
interface Trace { test: string; holds: boolean; children?: Trace[] }
interface Credential { type: string; expiresAt: string; url?: string; endpoint?: string; database?: string; container?: string; partitionKey?: unknown; resourceTokens?: Record<string, string>; scopes?: string[]; documentId?: string }
interface Denied { request: number; reason: string; message: string }

const $ = (id: string) => document.getElementById(id)!;
const el = (tag: string, text?: string, cls?: string) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

let session = 0;
let disposeNote: (() => void) | undefined;

async function main(): Promise<void> {
  const config = (await (await fetch("/dev/config")).json()) as DevConfig;
  $("where").textContent = `Environment ${config.policy.environment}, policy ${config.policy.hash.slice(0, 19)}…; issuer ${config.issuer}` + (config.cosmos.standIn ? "; Cosmos: the contract stand-in" : "");
  const set = $("personas");
  config.personas.forEach((p, i) => {
    const label = el("label");
    const input = document.createElement("input");
    Object.assign(input, { type: "radio", name: "persona", value: p.id, checked: i === 1 });
    label.append(input, ` ${p.id} (${p.label})`);
    label.title = p.expect;
    set.append(label);
  });
  const wanted = new URLSearchParams(location.search).get("persona");
  const form = $("signin") as HTMLFormElement;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = (form.elements.namedItem("persona") as RadioNodeList).value;
    void signIn(config, config.personas.find((p) => p.id === id)!);
  });
  if (wanted && config.personas.some((p) => p.id === wanted)) {
    (form.querySelector(`input[value="${wanted}"]`) as HTMLInputElement).checked = true;
    form.requestSubmit();
  }
}

/** The persona's access token from the local issuer's real token endpoint (client credentials; see README). */
async function issuerToken(config: DevConfig, id: string): Promise<string> {
  const res = await fetch(`${config.issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${id}:secret-${id}`)}` },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: config.audience, scope: "broker" }),
  });
  const body = (await res.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`the issuer refused: ${body.error_description ?? res.status}`);
  return body.access_token;
}

async function signIn(config: DevConfig, p: DevConfig["personas"][number]): Promise<void> {
  const mine = ++session;
  disposeNote?.();
  disposeNote = undefined;
  $("signed-in").textContent = `Signing in as ${p.label}…`;
  const token = await issuerToken(config, p.id);
  if (mine !== session) return;
  $("signed-in").textContent = `Signed in as ${p.label} (${p.id}, tenant ${p.tenant}). Expected: ${p.expect}.`;
  document.body.dataset.persona = p.id;

  const own = config.cdn.logo[p.tenant];
  const requests: { type: string; [k: string]: unknown }[] = [
    { type: "fluid", documentId: config.fluid.noteId },
    { type: "cosmos", container: "profiles" },
    { type: "cdn", path: own },
  ];
  const labels = ["the shared note (Fluid)", "my profile (Cosmos)", `my tenant's image (CDN)`];
  if (p.tenant !== "contoso") {
    requests.push({ type: "cdn", path: config.cdn.logo.contoso });
    labels.push("Contoso's image (CDN)");
  }
  const body = JSON.stringify({ requests });
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const [explained, answer] = await Promise.all([
    fetch("/dev/explain", { method: "POST", headers, body }).then((r) => r.json()),
    fetch("/api/token", { method: "POST", headers, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })),
  ]);
  if (mine !== session) return;
  showRoles(explained as { roles: { role: string; matched: boolean; why: Trace; grants: string[] }[] });
  const credentials = (answer.body.credentials ?? []) as Credential[];
  const denied = (answer.body.denied ?? []) as Denied[];
  showRequests(labels, answer.status, credentialsByRequest(requests.length, credentials, denied), denied, answer.body as { title?: string; detail?: string });

  const granted = credentialsByRequest(requests.length, credentials, denied);
  const byRequest = (i: number) => granted.get(i);
  const deniedOf = (i: number) => denied.find((d) => d.request === i);
  await Promise.all([
    useNote(config, token, byRequest(0), deniedOf(0), mine),
    useProfile(byRequest(1), deniedOf(1), p.oid),
    useImage(byRequest(2), deniedOf(2)),
  ]);
}

function showRoles(e: { roles: { role: string; matched: boolean; why: Trace; grants: string[] }[] }): void {
  const box = $("roles");
  box.replaceChildren();
  const list = el("ul");
  for (const r of e.roles) {
    const li = el("li", `${r.matched ? "✔ matched" : "✘ not matched"}: ${r.role}`, r.matched ? "granted" : "denied");
    const why = el("ul");
    const walk = (t: Trace, into: HTMLElement) => {
      const item = el("li", `${t.holds ? "✔" : "✘"} ${t.test}`);
      if (t.children) {
        const sub = el("ul");
        t.children.forEach((c) => walk(c, sub));
        item.append(sub);
      }
      into.append(item);
    };
    walk(r.why, why);
    li.append(why);
    list.append(li);
  }
  if (e.roles.length === 0) box.append(el("p", "No role exists for this environment."));
  box.append(list, el("p", "Roles limited to other stages (support: production only) are not in this environment.", "muted"));
}

function showRequests(labels: string[], status: number, credentials: Map<number, Credential>, denied: Denied[], problem: { title?: string; detail?: string }): void {
  const box = $("requests");
  box.replaceChildren(el("p", `The broker answered ${status}${status >= 400 && problem.detail ? `: ${problem.detail}` : ""}.`));
  const list = el("ul");
  labels.forEach((label, i) => {
    const c = credentials.get(i);
    const d = denied.find((x) => x.request === i);
    const text = c ? `granted: ${label}, ${describe(c)}, until ${new Date(c.expiresAt).toLocaleTimeString()}` : `denied: ${label}: ${d ? `${d.reason} (${d.message})` : "no answer"}`;
    const li = el("li", text, c ? "granted" : "denied");
    li.dataset.request = String(i);
    list.append(li);
  });
  box.append(list);
}

function describe(c: Credential): string {
  if (c.type === "fluid") return `scopes ${(c.scopes ?? []).join(" ")}`;
  if (c.type === "cosmos") return `container ${c.container}, partition ${JSON.stringify(c.partitionKey)}`;
  return "a signed URL";
}

async function useNote(config: DevConfig, token: string, c: Credential | undefined, d: Denied | undefined, mine: number): Promise<void> {
  const area = $("note") as HTMLTextAreaElement;
  const status = $("note-status");
  area.disabled = true;
  if (!c) {
    area.value = "";
    status.textContent = `No Fluid token: ${d?.reason ?? "denied"}.`;
    return;
  }
  status.textContent = "Connecting to the note…";
  const tokenProvider = new BrokerFluidTokenProvider({ brokerUrl: "/api/token", getAccessToken: async () => token });
  const client = new AzureClient({ connection: { type: "local", endpoint: config.fluid.endpoint, tokenProvider } });
  const { container } = await client.getContainer(config.fluid.noteId, { initialObjects: { note: SharedMap } }, "2");
  if (mine !== session) return container.dispose();
  const map = container.initialObjects.note as unknown as { get(k: string): unknown; set(k: string, v: unknown): void; on(e: string, f: () => void): void };
  const writable = (c.scopes ?? []).includes("doc:write");
  const render = () => {
    const text = String(map.get("text") ?? "");
    if (area.value !== text) area.value = text;
  };
  render();
  map.on("valueChanged", render);
  const onInput = () => map.set("text", area.value);
  area.readOnly = !writable;
  area.disabled = false;
  if (writable) area.addEventListener("input", onInput);
  status.textContent = writable ? "Connected: your edits are shared live." : "Connected read-only (scope doc:read): you see others' edits live.";
  disposeNote = () => {
    area.removeEventListener("input", onInput);
    container.dispose();
  };
}

async function useProfile(c: Credential | undefined, d: Denied | undefined, oid: string): Promise<void> {
  const box = $("profile");
  if (!c) return void box.replaceChildren(el("p", `No Cosmos token: ${d?.reason ?? "denied"}.`, "denied"));
  try {
    const client = new CosmosClient({ endpoint: c.endpoint!, resourceTokens: c.resourceTokens!, connectionPolicy: { enableEndpointDiscovery: false } });
    const { resource } = await client.database(c.database!).container(c.container!).item(oid, oid).read<{ name: string; bio: string; tenant: string }>();
    box.replaceChildren(el("p", `${resource?.name} (${resource?.tenant}): ${resource?.bio}`, "granted"), el("p", "Read straight from Cosmos with the resource token (partition = your oid).", "muted"));
  } catch (e) {
    box.replaceChildren(el("p", `Cosmos refused: ${(e as Error).message}`, "denied"));
  }
}

async function useImage(c: Credential | undefined, d: Denied | undefined): Promise<void> {
  const box = $("image");
  if (!c) return void box.replaceChildren(el("p", `No signed URL: ${d?.reason ?? "denied"}.`, "denied"));
  const img = document.createElement("img");
  img.src = c.url!;
  img.alt = "Your tenant's logo, served through the signed CDN URL";
  img.width = 240;
  img.height = 96;
  box.replaceChildren(img, el("p", "Served by the CDN edge from the origin, which checked the SAS.", "muted"));
}

main().catch((e) => ($("where").textContent = `The demo failed to start: ${(e as Error).message}`));
