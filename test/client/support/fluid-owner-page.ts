/**
 * What the Fluid ownership browser test's pages run (issue 21): the SDK as an app uses it, bundled for the browser
 * at test time. One window keeps one open document in `window.fluidOwnerPage`'s state between the test's calls, so a
 * second window can watch the first one's edits arrive live. Exposed as `window.fluidOwnerPage`.
 */
import { AzureClient } from "@fluidframework/azure-client";
import type { IFluidContainer } from "fluid-framework";
import { SharedMap } from "fluid-framework/legacy";
import { BrokerClient, BrokerProblemError } from "@azure-token-broker/client";
import { BrokerFluidTokenProvider } from "@azure-token-broker/client/fluid";

export interface OwnerPageOptions {
  brokerUrl: string;
  accessToken: string;
  fluidEndpoint: string;
}

interface Map {
  get(key: string): unknown;
  set(key: string, value: string): void;
}

const schema = { initialObjects: { map: SharedMap } };
let open: { container: IFluidContainer; map: Map } | undefined;

const until = async (cond: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
};

function clients(o: OwnerPageOptions) {
  const broker = new BrokerClient({
    brokerUrl: o.brokerUrl,
    getAccessToken: async () => o.accessToken,
    retry: { maxRetries: 0 },
  });
  const fluid = new AzureClient({
    connection: { type: "local", endpoint: o.fluidEndpoint, tokenProvider: new BrokerFluidTokenProvider(broker) },
  });
  return { broker, fluid };
}

const saved = (container: IFluidContainer) => until(() => container.connectionState === 2 && !container.isDirty);

/** Creates a document (attach registers its owner through the broker) and keeps it open in this window. */
export async function create(o: OwnerPageOptions, greeting: string): Promise<{ documentId: string }> {
  const { container } = await clients(o).fluid.createContainer(schema, "2");
  const map = container.initialObjects.map as unknown as Map;
  map.set("greeting", greeting);
  const documentId = await container.attach();
  await saved(container);
  open = { container, map };
  return { documentId };
}

/** Opens an existing document in this window and keeps it open. */
export async function load(o: OwnerPageOptions, documentId: string): Promise<{ greeting: unknown }> {
  const { container } = await clients(o).fluid.getContainer(documentId, schema, "2");
  const map = container.initialObjects.map as unknown as Map;
  await until(() => map.get("greeting") !== undefined);
  open = { container, map };
  return { greeting: map.get("greeting") };
}

/** An edit in this window's open document, sent to the service. */
export async function edit(key: string, value: string): Promise<void> {
  open!.map.set(key, value);
  await saved(open!.container);
}

/** Waits until this window's open document shows `value` under `key` (an edit from another window). */
export async function waitForValue(key: string, value: string): Promise<{ waitedMs: number }> {
  const start = Date.now();
  await until(() => open!.map.get(key) === value);
  return { waitedMs: Date.now() - start };
}

export function close(): void {
  open?.container.dispose();
  open = undefined;
}

const outcome = (e: unknown) =>
  e instanceof BrokerProblemError ? { code: e.code, reason: e.reason, status: e.status } : { error: String(e) };

/**
 * What a window gets when it asks for someone else's document: the broker's answer to the SDK (a token or the
 * denial), and what Fluid's getContainer does with the SDK's token provider.
 */
export async function tryOpen(o: OwnerPageOptions, documentId: string) {
  const { broker, fluid } = clients(o);
  let token: Record<string, unknown>;
  try {
    const { credential } = await broker.lookup({ type: "fluid", documentId });
    token = { granted: credential.token.length > 0 };
  } catch (e) {
    token = outcome(e);
  }
  let container: Record<string, unknown>;
  try {
    const loaded = await fluid.getContainer(documentId, schema, "2");
    loaded.container.dispose();
    container = { loaded: true };
  } catch (e) {
    container = { error: e instanceof Error ? e.message : String(e) };
  }
  return { token, container };
}
