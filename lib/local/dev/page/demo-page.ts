/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The demo page's script (bundled for the browser at dev start). It does what an app does, with the client SDK:
 * sign in (here: pick a persona; the local issuer's token endpoint signs the token), ask the broker for credentials
 * through BrokerClient (one batched call, cross-origin with the broker's CORS), and use them directly: Fluid through
 * BrokerFluidTokenProvider, Cosmos through createCosmosClient, the CDN through signedUrl. `/dev/explain` (dev only)
 * shows which roles matched and why, and the evaluator's words for each denial.
 */
import { AzureClient } from "@fluidframework/azure-client";
import { SharedMap } from "fluid-framework/legacy";
import { BrokerClient, BrokerProblemError } from "../../../client/index";
import { createCosmosClient } from "../../../client/cosmos";
import { BrokerFluidTokenProvider } from "../../../client/fluid";
import type { Credential, CredentialRequest } from "../../../client/credential-types";

interface DevConfig {
  issuer: string;
  broker: string;
  audience: string;
  fluid: { endpoint: string; tenantId: string; noteId: string };
  cosmos: { endpoint: string; standIn: boolean };
  cdn: { logo: { contoso: string; fabrikam: string } };
  policy: { hash: string; environment: string; error: string | null };
  personas: { id: string; label: string; expect: string; tenant: "contoso" | "fabrikam"; oid: string }[];
}
interface Trace {
  test: string;
  holds: boolean;
  children?: Trace[];
}
interface Denied {
  request: number;
  reason: string;
  message: string;
}
type Outcome = { ok: true; credential: Credential } | { ok: false; reason: string; why: string };

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
  $("where").textContent =
    `Environment ${config.policy.environment}, policy ${config.policy.hash.slice(0, 19)}…; issuer ${config.issuer}` +
    (config.cosmos.standIn ? "; Cosmos: the contract stand-in" : "");
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
    void signIn(
      config,
      config.personas.find((p) => p.id === id)!,
    );
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
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${btoa(`${id}:secret-${id}`)}`,
    },
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
  const asks: { label: string; request: CredentialRequest }[] = [
    { label: "the shared note (Fluid)", request: { type: "fluid", documentId: config.fluid.noteId } },
    { label: "my profile (Cosmos)", request: { type: "cosmos", container: "profiles" } },
    { label: "my tenant's image (CDN)", request: { type: "cdn", path: own } },
  ];
  if (p.tenant !== "contoso")
    asks.push({ label: "Contoso's image (CDN)", request: { type: "cdn", path: config.cdn.logo.contoso } });
  // As an app: one BrokerClient per signed-in user; asks made in the same tick go out as one broker call.
  const broker = new BrokerClient({ brokerUrl: config.broker, getAccessToken: async () => token });
  const explainedP = fetch("/dev/explain", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ requests: asks.map((a) => a.request) }),
  }).then(
    (r) =>
      r.json() as Promise<{
        roles: { role: string; matched: boolean; why: Trace; grants: string[] }[];
        decision?: { denied: Denied[] };
      }>,
  );
  const settled = await Promise.allSettled(asks.map((a) => broker.getCredential(a.request)));
  const explained = await explainedP;
  if (mine !== session) return;
  const outcomes: Outcome[] = settled.map((r, i) => {
    if (r.status === "fulfilled") return { ok: true, credential: r.value };
    const e = r.reason as unknown;
    const why =
      explained.decision?.denied.find((d) => d.request === i)?.message ?? (e instanceof Error ? e.message : String(e));
    return { ok: false, reason: e instanceof BrokerProblemError ? (e.reason ?? e.code) : "error", why };
  });
  showRoles(explained);
  showRequests(
    asks.map((a) => a.label),
    outcomes,
  );

  await Promise.all([
    useNote(config, broker, outcomes[0], mine),
    useProfile(broker, outcomes[1], p.oid),
    useImage(broker, outcomes[2], own),
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
  box.append(
    list,
    el("p", "Roles limited to other stages (support: production only) are not in this environment.", "muted"),
  );
}

function showRequests(labels: string[], outcomes: Outcome[]): void {
  const box = $("requests");
  const granted = outcomes.filter((o) => o.ok).length;
  box.replaceChildren(el("p", `The broker granted ${granted} of ${outcomes.length} requests.`));
  const list = el("ul");
  labels.forEach((label, i) => {
    const o = outcomes[i];
    const text = o.ok
      ? `granted: ${label}, ${describe(o.credential)}, until ${new Date(o.credential.expiresAt).toLocaleTimeString()}`
      : `denied: ${label}: ${o.reason} (${o.why})`;
    const li = el("li", text, o.ok ? "granted" : "denied");
    li.dataset.request = String(i);
    list.append(li);
  });
  box.append(list);
}

function describe(c: Credential): string {
  if (c.type === "fluid") return `scopes ${c.scopes.join(" ")}`;
  if (c.type === "cosmos") return `container ${c.container}, partition ${JSON.stringify(c.partitionKey)}`;
  return "a signed URL";
}

async function useNote(config: DevConfig, broker: BrokerClient, o: Outcome, mine: number): Promise<void> {
  const area = $("note") as HTMLTextAreaElement;
  const status = $("note-status");
  area.disabled = true;
  if (!o.ok || o.credential.type !== "fluid") {
    area.value = "";
    status.textContent = `No Fluid token: ${o.ok ? "unexpected credential" : o.reason}.`;
    return;
  }
  status.textContent = "Connecting to the note…";
  const tokenProvider = new BrokerFluidTokenProvider(broker);
  const client = new AzureClient({ connection: { type: "local", endpoint: config.fluid.endpoint, tokenProvider } });
  const { container } = await client.getContainer(config.fluid.noteId, { initialObjects: { note: SharedMap } }, "2");
  if (mine !== session) return container.dispose();
  const map = container.initialObjects.note as unknown as {
    get(k: string): unknown;
    set(k: string, v: unknown): void;
    on(e: string, f: () => void): void;
  };
  const writable = o.credential.scopes.includes("doc:write");
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
  status.textContent = writable
    ? "Connected: your edits are shared live."
    : "Connected read-only (scope doc:read): you see others' edits live.";
  disposeNote = () => {
    area.removeEventListener("input", onInput);
    container.dispose();
  };
}

async function useProfile(broker: BrokerClient, o: Outcome, oid: string): Promise<void> {
  const box = $("profile");
  if (!o.ok || o.credential.type !== "cosmos")
    return void box.replaceChildren(
      el("p", `No Cosmos token: ${o.ok ? "unexpected credential" : o.reason}.`, "denied"),
    );
  try {
    const client = await createCosmosClient(broker, {
      containers: ["profiles"],
      clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } },
    });
    const { resource } = await client
      .database(o.credential.database)
      .container("profiles")
      .item(oid, oid)
      .read<{ name: string; bio: string; tenant: string }>();
    box.replaceChildren(
      el("p", `${resource?.name} (${resource?.tenant}): ${resource?.bio}`, "granted"),
      el("p", "Read straight from Cosmos with the resource token (partition = your oid).", "muted"),
    );
  } catch (e) {
    box.replaceChildren(el("p", `Cosmos refused: ${(e as Error).message}`, "denied"));
  }
}

async function useImage(broker: BrokerClient, o: Outcome, path: string): Promise<void> {
  const box = $("image");
  if (!o.ok) return void box.replaceChildren(el("p", `No signed URL: ${o.reason}.`, "denied"));
  const img = document.createElement("img");
  img.src = await broker.signedUrl(path); // cached: the credential above
  img.alt = "Your tenant's logo, served through the signed CDN URL";
  img.width = 240;
  img.height = 96;
  box.replaceChildren(img, el("p", "Served by the CDN edge from the origin, which checked the SAS.", "muted"));
}

main().catch((e) => ($("where").textContent = `The demo failed to start: ${(e as Error).message}`));
