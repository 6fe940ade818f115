/**
 * BrokerFluidTokenProvider against a real broker: the ITokenProvider contract (fromCache truthful, refresh never
 * cached), single-use creation tokens, a bounded cache (issue 7 item 6). Real AzureClient sessions are in
 * fluid-session.test.ts.
 */
import { BrokerClient } from "../../lib/client/index";
import { BrokerFluidTokenProvider } from "../../lib/client/fluid";
import { RealBroker } from "./support/real-broker";

const broker = new RealBroker();
beforeAll(() => broker.start(), 30_000);
afterAll(() => broker.stop());
beforeEach(() => (broker.calls.length = 0));

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString()) as { documentId: string; jti: string };
const providerWith = (extra: Partial<ConstructorParameters<typeof BrokerClient>[0]> = {}) =>
  new BrokerFluidTokenProvider(
    new BrokerClient({ brokerUrl: broker.url, getAccessToken: () => broker.token(), ...extra }),
  );

it("fromCache is true only when no broker call was made; orderer and storage share the document's token", async () => {
  const provider = providerWith();
  const orderer = await provider.fetchOrdererToken("local", "doc-1");
  const storage = await provider.fetchStorageToken("local", "doc-1");
  expect(orderer.fromCache).toBe(false);
  expect(storage).toEqual({ jwt: orderer.jwt, fromCache: true });
  expect(claimsOf(orderer.jwt).documentId).toBe("doc-1");
  expect(broker.calls).toEqual([1]);
});

it("refresh === true is never answered from the cache", async () => {
  const provider = providerWith();
  await provider.fetchStorageToken("local", "doc-2");
  const refreshed = await provider.fetchStorageToken("local", "doc-2", true);
  expect(refreshed.fromCache).toBe(false);
  expect(broker.calls).toEqual([1, 1]);
});

it("issue 7 item 6: concurrent container creations each get their own single-use creation token", async () => {
  const provider = providerWith();
  const tokens = await Promise.all([1, 2, 3].map(() => provider.fetchOrdererToken("local")));
  const jtis = tokens.map((t) => claimsOf(t.jwt).jti);
  expect(new Set(jtis).size).toBe(3);
  tokens.forEach((t) => expect(t.fromCache).toBe(false));
  tokens.forEach((t) => expect(claimsOf(t.jwt).documentId).toBe(""));
  const later = await provider.fetchOrdererToken("local");
  expect(jtis).not.toContain(claimsOf(later.jwt).jti); // never served again from a cache
});

it("issue 7 item 6: the provider's cache is bounded", async () => {
  const client = new BrokerClient({ brokerUrl: broker.url, getAccessToken: () => broker.token(), maxCacheEntries: 4 });
  const provider = new BrokerFluidTokenProvider(client);
  for (let i = 0; i < 10; i++) await provider.fetchStorageToken("local", `doc-bounded-${i}`);
  expect(client.cacheSize).toBe(4);
});

it("passes asked-for scopes to the broker; after registering a new container it calls the app's callback", async () => {
  const created: string[] = [];
  const client = new BrokerClient({ brokerUrl: broker.url, getAccessToken: () => broker.token() });
  const provider = new BrokerFluidTokenProvider(client, {
    scopes: ["doc:read"],
    documentPostCreateCallback: (id) => void created.push(id),
  });
  const { jwt } = await provider.fetchStorageToken("local", "doc-3");
  expect(JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString()).scopes).toEqual(["doc:read"]);
  // This broker records no owners (404 on /api/fluid/documents): there is nothing to register, the app still hears.
  await provider.documentPostCreateCallback("doc-new", "creation-token");
  expect(created).toEqual(["doc-new"]);
});
