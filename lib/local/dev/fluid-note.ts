/**
 * The shared note: one Fluid container with a SharedString (`note`), created at start by a person of the tenant
 * through the broker (a creation token, as an app would get one), so readers and editors (who may not create) can
 * open it. A SharedString, not one string in a map: concurrent edits merge character by character instead of the last
 * writer's whole text replacing the other's.
 */
import { AzureClient } from "@fluidframework/azure-client";
import { SharedString } from "fluid-framework/legacy";
import { BrokerClient } from "../../client/index";
import { BrokerFluidTokenProvider } from "../../client/fluid";

// Fluid 2.x clients on Node 20 need a navigator (facts.md); Node 22 has one.
(globalThis as { navigator?: unknown }).navigator ??= { userAgent: "node" };

export const NOTE_SCHEMA = { initialObjects: { note: SharedString } };
export type NoteText = {
  getText(): string;
  insertText(pos: number, text: string): void;
  removeText(start: number, end: number): void;
};

export function fluidClient(endpoint: string, brokerUrl: string, getAccessToken: () => Promise<string>): AzureClient {
  const tokenProvider = new BrokerFluidTokenProvider(new BrokerClient({ brokerUrl, getAccessToken }));
  return new AzureClient({ connection: { type: "local", endpoint, tokenProvider } });
}

export async function createSharedNote(client: AzureClient, text: string): Promise<string> {
  const { container } = await client.createContainer(NOTE_SCHEMA, "2");
  (container.initialObjects.note as unknown as NoteText).insertText(0, text);
  const id = await container.attach();
  const deadline = Date.now() + 10_000;
  while (container.isDirty && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  container.dispose();
  return id;
}
