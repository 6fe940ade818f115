/**
 * What the browser test's page runs: the SDK exactly as an app uses it, bundled for the browser with esbuild at
 * test time (entry points through package.json `exports`). Exposed as `window.sdkPage`.
 */
import { AzureClient } from "@fluidframework/azure-client";
import { SharedMap } from "fluid-framework/legacy";
import { BrokerClient, BrokerProblemError } from "@azure-token-broker/client";
import { createCosmosClient } from "@azure-token-broker/client/cosmos";
import { BrokerFluidTokenProvider } from "@azure-token-broker/client/fluid";

// The page runs in a browser; the repository's tsconfig has no DOM lib.
declare const createImageBitmap: (image: Blob) => Promise<{ width: number; height: number }>;

export interface PageOptions {
  brokerUrl: string;
  accessToken: string;
  fluidEndpoint: string;
  cdnPath: string;
  cosmos: { database: string; container: string; id: string; partitionKey: string };
}

const until = async (cond: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
};

export async function run(o: PageOptions) {
  const broker = new BrokerClient({ brokerUrl: o.brokerUrl, getAccessToken: async () => o.accessToken });

  const fluid = new AzureClient({
    connection: { type: "local", endpoint: o.fluidEndpoint, tokenProvider: new BrokerFluidTokenProvider(broker) },
  });
  const { container } = await fluid.createContainer({ initialObjects: { map: SharedMap } }, "2");
  const map = container.initialObjects.map as unknown as { set(k: string, v: string): void };
  map.set("greeting", "hello from the browser");
  const documentId = await container.attach();
  map.set("edited", "yes");
  await until(() => container.connectionState === 2 && !container.isDirty);
  container.dispose();

  const url = await broker.signedUrl(o.cdnPath);
  const response = await fetch(url);
  const bitmap = await createImageBitmap(await response.blob());

  const cosmos = await createCosmosClient(broker, { containers: [o.cosmos.container] });
  const { resource } = await cosmos
    .database(o.cosmos.database)
    .container(o.cosmos.container)
    .item(o.cosmos.id, o.cosmos.partitionKey)
    .read();

  return {
    documentId,
    image: { status: response.status, width: bitmap.width, height: bitmap.height },
    cosmos: resource as Record<string, unknown>,
    brokerCalls: broker.brokerCalls,
  };
}

/** From a page the broker does not allow: what the SDK reports (the browser hides why; the code is `network`). */
export async function tryBroker(o: Pick<PageOptions, "brokerUrl" | "accessToken" | "cdnPath">) {
  const broker = new BrokerClient({
    brokerUrl: o.brokerUrl,
    getAccessToken: async () => o.accessToken,
    retry: { maxRetries: 0 },
  });
  try {
    await broker.signedUrl(o.cdnPath);
    return { outcome: "granted" };
  } catch (e) {
    return { outcome: e instanceof BrokerProblemError ? e.code : String(e) };
  }
}
