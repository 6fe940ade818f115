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
import { ConnectionState, type IFluidContainer } from "fluid-framework";
import { SharedString } from "fluid-framework/legacy";
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
  // A matched role's grants carry the id of the role that declared them (`[reader#0]`): a role whose grants a matched
  // role inherits is held through it, though its own condition does not hold.
  const through = (role: string) => e.roles.filter((m) => m.matched && m.grants.some((g) => g.includes(`[${role}#`)));
  for (const r of e.roles) {
    const heirs = r.matched ? [] : through(r.role).map((m) => m.role);
    const text = r.matched
      ? `✔ matched: ${r.role}`
      : heirs.length > 0
        ? `✔ held: ${r.role} (through ${heirs.join(", ")}; its own condition does not hold)`
        : `✘ not matched: ${r.role}`;
    const li = el("li", text, r.matched ? "granted" : heirs.length > 0 ? "granted inherited" : "denied");
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

/** What the page says for each of Fluid's own connection states (the container's, never assumed). */
function noteState(container: IFluidContainer, writable: boolean): { state: string; text: string } {
  if (container.disposed)
    return { state: "disposed", text: "Closed: this window no longer follows the note (sign in again to reopen it)." };
  switch (container.connectionState) {
    case ConnectionState.Connected:
      return writable
        ? { state: "connected", text: "Connected: your edits are shared live." }
        : {
            state: "read-only",
            text: "Connected read-only (your token has doc:read, not doc:write): you see others' edits live.",
          };
    case ConnectionState.CatchingUp:
      return { state: "catching-up", text: "Reconnected, catching up with the edits made meanwhile…" };
    case ConnectionState.EstablishingConnection:
      return {
        state: "reconnecting",
        text: "Reconnecting to the Fluid service… edits made here wait in this window until it answers.",
      };
    default:
      return {
        state: "disconnected",
        text: "Disconnected from the Fluid service: edits made here wait in this window and are sent when it reconnects.",
      };
  }
}

/** The smallest edit turning `from` into `to`: one common prefix and suffix around what changed. */
function textEdit(from: string, to: string): { at: number; removed: number; inserted: string } {
  let at = 0;
  while (at < from.length && at < to.length && from[at] === to[at]) at++;
  let tail = 0;
  while (tail < from.length - at && tail < to.length - at && from[from.length - 1 - tail] === to[to.length - 1 - tail])
    tail++;
  return { at, removed: from.length - at - tail, inserted: to.slice(at, to.length - tail) };
}

async function useNote(config: DevConfig, broker: BrokerClient, o: Outcome, mine: number): Promise<void> {
  const area = $("note") as HTMLTextAreaElement;
  const status = $("note-status");
  const show = (state: string, text: string) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  area.disabled = true;
  if (!o.ok || o.credential.type !== "fluid") {
    area.value = "";
    return show("no-token", `No Fluid token: ${o.ok ? "unexpected credential" : o.reason}.`);
  }
  show("connecting", "Connecting to the note…");
  const tokenProvider = new BrokerFluidTokenProvider(broker);
  const client = new AzureClient({ connection: { type: "local", endpoint: config.fluid.endpoint, tokenProvider } });
  let container: IFluidContainer;
  try {
    ({ container } = await client.getContainer(config.fluid.noteId, { initialObjects: { note: SharedString } }, "2"));
  } catch (e) {
    if (mine === session) show("failed", `Could not open the note: ${(e as Error).message}`);
    return;
  }
  if (mine !== session) return container.dispose();
  // A SharedString: each window's edit is an insert or a removal at a position, merged with the others' (no
  // last-writer-wins over the whole text).
  const note = container.initialObjects.note as unknown as {
    getText(): string;
    insertText(pos: number, text: string): void;
    removeText(start: number, end: number): void;
    on(e: "sequenceDelta", f: (ev: { isLocal: boolean }) => void): void;
    off(e: "sequenceDelta", f: (ev: { isLocal: boolean }) => void): void;
  };
  const writable = o.credential.scopes.includes("doc:write");
  const render = () => {
    const text = note.getText();
    if (area.value === text) return;
    // Keep the caret where it was relative to the text around it while others' edits arrive.
    const { at, removed, inserted } = textEdit(area.value, text);
    const move = (p: number) =>
      p <= at ? p : p >= at + removed ? p + inserted.length - removed : at + inserted.length;
    const [start, end] = [move(area.selectionStart), move(area.selectionEnd)];
    area.value = text;
    if (document.activeElement === area) area.setSelectionRange(start, end);
  };
  const onDelta = (ev: { isLocal: boolean }) => void (ev.isLocal || render());
  const onInput = () => {
    const { at, removed, inserted } = textEdit(note.getText(), area.value);
    if (removed > 0) note.removeText(at, at + removed);
    if (inserted) note.insertText(at, inserted);
  };
  const state = () => {
    const s = noteState(container, writable);
    show(s.state, s.text);
    if (container.disposed) area.disabled = true;
  };
  render();
  note.on("sequenceDelta", onDelta);
  area.readOnly = !writable;
  area.disabled = false;
  if (writable) area.addEventListener("input", onInput);
  container.on("connected", state);
  container.on("disconnected", state);
  container.on("disposed", state);
  // Fluid moves from disconnected to establishing a connection without an event of its own: look while not connected.
  const poll = setInterval(() => container.connectionState !== ConnectionState.Connected && state(), 500);
  state();
  disposeNote = () => {
    clearInterval(poll);
    area.removeEventListener("input", onInput);
    note.off("sequenceDelta", onDelta);
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
