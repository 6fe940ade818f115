/**
 * The shared note: one Fluid container with a SharedMap (`text`), created at start by the admin persona through the
 * broker (a creation token, as an app would get one), so readers and editors (who may not create) can open it.
 */
import { AzureClient } from "@fluidframework/azure-client";
import { SharedMap } from "fluid-framework/legacy";
import { BrokerClient } from "../../client/index";
import { BrokerFluidTokenProvider } from "../../client/fluid";

// Fluid 2.x clients on Node 20 need a navigator (facts.md); Node 22 has one.
(globalThis as { navigator?: unknown }).navigator ??= { userAgent: "node" };

export const NOTE_SCHEMA = { initialObjects: { note: SharedMap } };
export type NoteMap = {
  get(k: string): unknown;
  set(k: string, v: unknown): void;
  on(e: "valueChanged", f: () => void): void;
};

export function fluidClient(endpoint: string, brokerUrl: string, getAccessToken: () => Promise<string>): AzureClient {
  const tokenProvider = new BrokerFluidTokenProvider(new BrokerClient({ brokerUrl, getAccessToken }));
  return new AzureClient({ connection: { type: "local", endpoint, tokenProvider } });
}

export async function createSharedNote(client: AzureClient, text: string): Promise<string> {
  const { container } = await client.createContainer(NOTE_SCHEMA, "2");
  (container.initialObjects.note as unknown as NoteMap).set("text", text);
  const id = await container.attach();
  const deadline = Date.now() + 10_000;
  while (container.isDirty && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  container.dispose();
  return id;
}
