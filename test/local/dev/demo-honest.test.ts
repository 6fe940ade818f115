/**
 * The demo page tells the truth (issue 20, item 6), in headless Chromium against `npm run dev`: the note's status is
 * the Fluid container's own connection state (a window whose socket to the Fluid service is cut, with the broker
 * stalled too, says so, and says connected again only once Fluid is), two windows editing the note at the same time
 * both keep their edits (a SharedString merges them), a role held through inheritance is shown as held, and the page
 * asks for nothing the server does not have (a favicon, no 404).
 */
import { chromium, type Browser, type Page, type WebSocketRoute } from "playwright-core";
import { READY_LINE } from "../../../lib/local/dev/banner";
import { freshPorts, interrupt, killGroup, startDev, type DevRun } from "./dev-support";

let run: DevRun;
let browser: Browser;

beforeAll(async () => {
  run = await startDev(await freshPorts());
  [browser] = await Promise.all([
    chromium.launch({ executablePath: "/usr/bin/chromium", headless: true }),
    run.waitFor(READY_LINE, 60_000),
  ]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (run) {
    await interrupt(run);
    killGroup(run);
  }
});

/** A window whose WebSocket to the Fluid service passes through a switch the test can open (cut) and close again. */
interface Window {
  page: Page;
  errors: string[];
  notFound: string[];
  offline(cut: boolean): Promise<void>;
}

async function open(persona: string): Promise<Window> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const notFound: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("response", (r) => void (r.status() === 404 && notFound.push(r.url())));
  let cut = false;
  const live = new Set<{ page: WebSocketRoute; server: WebSocketRoute }>();
  await page.routeWebSocket(
    (url) => url.port === String(run.ports.fluid),
    (ws) => {
      // Cut: the connection fails as a dropped network would make it; Fluid retries on its own.
      if (cut) return void ws.close({ code: 4000, reason: "offline (test)" });
      const pair = { page: ws, server: ws.connectToServer() };
      live.add(pair);
      ws.onClose(() => live.delete(pair));
    },
  );
  await page.goto(`http://127.0.0.1:${run.ports.demo}/?persona=${persona}`);
  await page.locator("#signed-in", { hasText: "Signed in as" }).waitFor({ timeout: 20_000 });
  return {
    page,
    errors,
    notFound,
    offline: async (now) => {
      cut = now;
      if (now)
        for (const pair of [...live]) {
          live.delete(pair);
          await pair.server.close({ code: 4000, reason: "offline (test)" });
          await pair.page.close({ code: 4000, reason: "offline (test)" });
        }
    },
  };
}

const state = (w: Window, states: string[], timeout = 30_000) =>
  w.page.waitForFunction((s) => s.includes(document.getElementById("note-status")?.dataset.state ?? ""), states, {
    timeout,
  });
const noteText = (w: Window) => w.page.locator("#note").inputValue();

it("shows the container's own state: disconnected while its socket is cut and the broker stalls, connected after", async () => {
  const w = await open("editor");
  await state(w, ["connected"]);
  expect(await w.page.locator("#note-status").textContent()).toBe("Connected: your edits are shared live.");

  // The broker stalls (every call hangs) and the socket to the Fluid service drops.
  const held: (() => void)[] = [];
  await w.page.route(`http://127.0.0.1:${run.ports.broker}/**`, (route) => void held.push(() => void route.abort()));
  await w.offline(true);
  await state(w, ["disconnected", "reconnecting"]);
  // Held for a while: Fluid keeps trying, and the page never claims a live connection meanwhile.
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const status = await w.page.locator("#note-status").textContent();
    expect(status).not.toContain("shared live");
    expect(status).toMatch(/^(Disconnected|Reconnecting)/);
  }
  // The network is back, the broker still stalls: Fluid reconnects with the token it holds (still valid), and only
  // then does the page say connected.
  await w.offline(false);
  await state(w, ["connected"], 60_000);
  expect(await w.page.locator("#note-status").textContent()).toBe("Connected: your edits are shared live.");
  held.forEach((release) => release());
  expect(w.errors).toEqual([]);
  await w.page.close();
}, 120_000);

it("merges two windows' concurrent edits of the note: neither is lost", async () => {
  const [one, two] = [await open("editor"), await open("editor")];
  // The status text, not its data-state: this test proves the merge alone, whatever the status shows.
  for (const w of [one, two])
    await w.page.locator("#note-status", { hasText: "your edits are shared live" }).waitFor({ timeout: 30_000 });
  const base = `Base ${Date.now()}`;
  await one.page.locator("#note").fill(base);
  await two.page.waitForFunction((t) => (document.querySelector("#note") as HTMLTextAreaElement).value === t, base, {
    timeout: 15_000,
  });

  // Window two is cut off, so both edit the same text without seeing each other's change: a true conflict.
  await two.offline(true);
  await one.page.locator("#note").fill(`ONE ${base}`);
  await two.page.locator("#note").fill(`${base} TWO`);
  expect(await noteText(one)).toBe(`ONE ${base}`);
  expect(await noteText(two)).toBe(`${base} TWO`);

  await two.offline(false);
  const merged = `ONE ${base} TWO`;
  for (const w of [one, two])
    await w.page
      .waitForFunction((t) => (document.querySelector("#note") as HTMLTextAreaElement).value === t, merged, {
        timeout: 60_000,
      })
      .catch(async () => {
        throw new Error(`window's note is ${JSON.stringify(await noteText(w))}, expected ${JSON.stringify(merged)}`);
      });
  expect([...one.errors, ...two.errors]).toEqual([]);
  await Promise.all([one.page.close(), two.page.close()]);
}, 150_000);

it("shows a role held through inheritance as held, and the page loads with no 404 (favicon)", async () => {
  const editor = await open("editor");
  const roles = editor.page.locator("#roles > ul > li");
  await editor.page.locator("#roles li.granted", { hasText: "matched: editor" }).waitFor({ timeout: 15_000 });
  const lines = (await roles.allTextContents()).map((t) => t.split("\n")[0]);
  expect(await editor.page.locator("#roles > ul > li", { hasText: /^✔ held: reader \(through editor;/ }).count()).toBe(
    1,
  );
  expect(lines.join("\n")).not.toMatch(/not matched: reader/);
  expect(await editor.page.locator("#roles > ul > li.denied", { hasText: "not matched: admin" }).count()).toBe(1);

  const admin = await open("admin");
  await admin.page.locator("#roles li.granted", { hasText: "matched: admin" }).waitFor({ timeout: 15_000 });
  await admin.page.locator("#roles > ul > li", { hasText: /^✔ held: editor \(through admin;/ }).waitFor();
  await admin.page.locator("#roles > ul > li", { hasText: /^✔ held: reader \(through admin;/ }).waitFor();

  // The reader's token has doc:read only: Fluid is connected, and the page says read-only.
  const reader = await open("reader");
  await state(reader, ["read-only"]);
  expect(await reader.page.locator("#note").getAttribute("readonly")).not.toBeNull();

  for (const w of [editor, admin, reader]) {
    expect(w.notFound).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.page.close();
  }
}, 90_000);
