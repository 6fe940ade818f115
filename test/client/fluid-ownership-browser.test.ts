/**
 * Fluid documents that belong to someone, in a real browser (issue 21, must show): Debian's headless Chromium
 * (playwright-core) loads pages bundled with the SDK; the SDK's AzureClient + BrokerFluidTokenProvider talk to the
 * local Fluid service (tinylicious, which signs the creation receipt with the tenant key) and to the broker over
 * node:http, with access tokens from the real OIDC issuer; the broker records owners in the Cosmos stand-in. A
 * Contoso editor creates a document; a second Contoso window (its own browser context) opens it and sees the first
 * window's edit live; a Fabrikam editor asking for it is denied `not-owned` and gets no token; Fabrikam's own
 * document, created in the browser, is refused to Contoso the same way.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker, type Broker } from "../../functions-src/core";
import { cosmosOwnerRegistry } from "../../functions-src/fluid-owners/cosmos-owner-registry";
import { cachedOwnerRegistry } from "../../functions-src/fluid-owners/owner-registry";
import { createFluidRegistration } from "../../functions-src/fluid-owners/registration-route";
import { createFluidMinter, type FluidSettings } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { OidcIssuer, privateJwk } from "../../lib/local/oidc-issuer";
import { Tinylicious } from "../../lib/local/tinylicious";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { bundleForBrowser } from "./support/browser-bundle";
import type * as OwnerPage from "./support/fluid-owner-page";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`browser test skipped: no Chromium at ${CHROMIUM} (install Debian's chromium; .ci/run does)`);
const describeInBrowser = haveChromium ? describe : describe.skip;

const KEYS: [string, string] = ["fluid-owner-browser-key-1", "fluid-owner-browser-key-2"];
const personas = {
  "contoso-ed": { claims: { name: "Ed of Contoso", tid: "contoso", roles: ["editor"] } },
  "contoso-cy": { claims: { name: "Cy of Contoso", tid: "contoso", roles: ["editor"] } },
  "fabrikam-fay": { claims: { name: "Fay of Fabrikam", tid: "fabrikam", roles: ["editor"] } },
};
type Persona = keyof typeof personas;

const issuer = new OidcIssuer(personas, "api://broker");
const tinylicious = new Tinylicious({ local: KEYS });
const cosmos = new CosmosRestContractDouble("docs", { fluidDocuments: "/tenant" });
const fluid = (): FluidSettings => ({
  tenantId: "local",
  endpoint: tinylicious.endpoint,
  key1: KEYS[0],
  key2: KEYS[1],
  active: "key1",
});

/** What the broker answered on /api/token, per caller: the Fluid documents it issued tokens for, and its denials. */
interface Exchange {
  subject: string;
  issued: string[];
  denied: { documentId?: string; reason: string }[];
}
const exchanges: Exchange[] = [];
let broker: Awaited<ReturnType<typeof startNodeHttpBroker>>;
let page: PageServer;
let browser: Browser | undefined;

interface PageServer {
  origin: string;
  close(): Promise<void>;
}

async function servePage(bundle: string): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    if (req.url === "/sdk.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    res
      .writeHead(200, { "content-type": "text/html" })
      .end('<!doctype html><meta charset="utf-8"><title>owners</title><script src="/sdk.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const policyFor = (iss: string, origin: string) => `version: 1
issuers:
  local: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], tokenType: at+jwt, requiredClaims: [sub, tid], claims: { sub: { type: string }, name: { type: string }, tid: { type: string, pattern: "^[a-z0-9]{1,20}$" }, roles: { type: "string[]" } } }
resources: { fluid: { owners: { tenant: tid } } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants: [{ fluid: { documents: { owner: tenant }, create: true, scopes: [doc:read, doc:write, summary:write], ttl: 10m } }]
environments: { dev: { stage: development, allowedOrigins: ["${origin}"] } }
`;

/** Reads the subject of a JWT the issuer signed (the broker verified it; here only to attribute exchanges). */
const subjectOf = (jwt: string | undefined) =>
  jwt ? String(JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString()).sub) : "";

/** Notes what the broker answered, without changing it. */
function watching(core: Broker): Broker {
  return {
    handle: async (req) => {
      const res = await core.handle(req);
      if (req.path !== "/api/token" || req.method !== "POST") return res;
      const asked = (JSON.parse(req.body ?? "{}") as { requests?: { documentId?: string }[] }).requests ?? [];
      const body = JSON.parse(String(res.body ?? "{}")) as {
        credentials?: { type: string; documentId?: string; token?: string }[];
        denied?: { request: number; reason: string }[];
      };
      exchanges.push({
        subject: subjectOf(req.headers.authorization?.slice(7)),
        issued: (body.credentials ?? []).filter((c) => c.type === "fluid" && c.token).map((c) => c.documentId ?? ""),
        denied: (body.denied ?? []).map((d) => ({ documentId: asked[d.request]?.documentId, reason: d.reason })),
      });
      return res;
    },
  };
}

interface Window {
  context: BrowserContext;
  page: Page;
  errors: string[];
  call<K extends keyof typeof OwnerPage>(
    name: K,
    ...args: Parameters<(typeof OwnerPage)[K]>
  ): Promise<Awaited<ReturnType<(typeof OwnerPage)[K]>>>;
}

/** A browser window of its own (a fresh context: no storage shared with the other windows). */
async function openWindow(): Promise<Window> {
  const context = await browser!.newContext();
  const p = await context.newPage();
  const errors: string[] = [];
  p.on("pageerror", (e) => errors.push(e.message));
  await p.goto(page.origin);
  return {
    context,
    page: p,
    errors,
    call: (name, ...args) =>
      p.evaluate(
        ([n, a]) =>
          (globalThis as unknown as { fluidOwnerPage: Record<string, (...x: unknown[]) => unknown> }).fluidOwnerPage[n](
            ...a,
          ),
        [name, args] as [string, unknown[]],
      ) as never,
  };
}

const optionsFor = async (who: Persona): Promise<OwnerPage.OwnerPageOptions> => ({
  brokerUrl: broker.url,
  accessToken: await issuer.token(who),
  fluidEndpoint: tinylicious.endpoint,
});

describeInBrowser("Fluid document ownership in a real browser", () => {
  beforeAll(async () => {
    const sdk = await bundleForBrowser(`export * from "./test/client/support/fluid-owner-page";`, {
      globalName: "fluidOwnerPage",
    });
    page = await servePage(sdk.code);
    await Promise.all([issuer.start([await privateJwk("k1")]), tinylicious.start(), cosmos.start()]);
    const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer, page.origin))), "dev");
    const registry = cachedOwnerRegistry(
      cosmosOwnerRegistry(() => ({ endpoint: cosmos.endpoint, key: cosmos.key, database: "docs" })),
    );
    const core = createBroker({
      config,
      verifier: new TokenVerifier(config),
      minters: { fluid: createFluidMinter(fluid) },
      fluidOwners: {
        registry,
        register: createFluidRegistration({ registry, fluid, tenantClaim: "tid", policy: config.policyHash }),
      },
    });
    broker = await startNodeHttpBroker(watching(core));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    await Promise.all([page?.close(), issuer.stop(), tinylicious.stop(), cosmos.stop()]);
  });

  it("Contoso's document: a second Contoso window edits along live, Fabrikam is denied and gets no token", async () => {
    const ed = await openWindow();
    const cy = await openWindow();
    const fay = await openWindow();
    const [edSub, faySub] = await Promise.all([
      issuer.token("contoso-ed").then(subjectOf),
      issuer.token("fabrikam-fay").then(subjectOf),
    ]);

    const { documentId } = await ed.call("create", await optionsFor("contoso-ed"), "Contoso's note");
    expect(documentId).toMatch(/\S/);
    // attach() resolved, so the broker has recorded the owner in the Cosmos stand-in.
    const recorded = await cosmosOwnerRegistry(() => ({
      endpoint: cosmos.endpoint,
      key: cosmos.key,
      database: "docs",
    })).find("contoso", documentId);
    expect(recorded).toMatchObject({ tenant: "contoso", creator: edSub });

    expect(await cy.call("load", await optionsFor("contoso-cy"), documentId)).toEqual({ greeting: "Contoso's note" });
    const stamp = `edited by Ed at ${Date.now()}`;
    await ed.call("edit", "line", stamp);
    const { waitedMs } = await cy.call("waitForValue", "line", stamp);
    expect(waitedMs).toBeLessThan(15_000);
    // And back: Cy's edit reaches Ed's window.
    await cy.call("edit", "reply", "seen, Cy");
    await ed.call("waitForValue", "reply", "seen, Cy");

    const before = exchanges.length;
    const refused = await fay.call("tryOpen", await optionsFor("fabrikam-fay"), documentId);
    expect(refused.token).toEqual({ code: "forbidden", reason: "not-owned", status: 403 });
    expect(refused.container).toEqual({ error: expect.stringMatching(/not-owned/) });
    const fays = exchanges.slice(before).filter((x) => x.subject === faySub);
    expect(fays.length).toBeGreaterThan(0);
    expect(fays.flatMap((x) => x.issued)).toEqual([]);
    expect(fays.flatMap((x) => x.denied)).toContainEqual({ documentId, reason: "not-owned" });

    for (const w of [ed, cy, fay]) {
      await w.call("close");
      expect(w.errors).toEqual([]);
      await w.context.close();
    }
  }, 120_000);

  it("Fabrikam's own document, created in the browser, is refused to Contoso", async () => {
    const fay = await openWindow();
    const ed = await openWindow();
    const [edSub, faySub] = await Promise.all([
      issuer.token("contoso-ed").then(subjectOf),
      issuer.token("fabrikam-fay").then(subjectOf),
    ]);

    const { documentId } = await fay.call("create", await optionsFor("fabrikam-fay"), "Fabrikam's note");
    await fay.call("edit", "line", "Fay's edit");
    const recorded = await cosmosOwnerRegistry(() => ({
      endpoint: cosmos.endpoint,
      key: cosmos.key,
      database: "docs",
    })).find("fabrikam", documentId);
    expect(recorded).toMatchObject({ tenant: "fabrikam", creator: faySub });

    const before = exchanges.length;
    const refused = await ed.call("tryOpen", await optionsFor("contoso-ed"), documentId);
    expect(refused.token).toEqual({ code: "forbidden", reason: "not-owned", status: 403 });
    expect(refused.container).toEqual({ error: expect.stringMatching(/not-owned/) });
    const eds = exchanges.slice(before).filter((x) => x.subject === edSub);
    expect(eds.length).toBeGreaterThan(0);
    expect(eds.flatMap((x) => x.issued)).toEqual([]);
    expect(eds.flatMap((x) => x.denied)).toContainEqual({ documentId, reason: "not-owned" });

    for (const w of [fay, ed]) {
      await w.call("close");
      expect(w.errors).toEqual([]);
      await w.context.close();
    }
  }, 120_000);
});
