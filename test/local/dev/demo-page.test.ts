/**
 * The demo page in headless Chromium against `npm run dev`: the editor signs in through the local issuer, edits the
 * shared note, a second window sees the edit, the tenant image loads through its signed URL, the profile is read from
 * Cosmos, and the outsider's denial shows its reason. The screenshot goes to a temporary file; `npm run
 * docs:screenshot` (TB_DOCS_SCREENSHOT=1) writes the README's docs/demo.png instead: a test never changes a tracked file.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { READY_LINE } from "../../../lib/local/dev/banner";
import { freshPorts, interrupt, killGroup, ROOT, startDev, type DevRun } from "./dev-support";

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

async function signIn(persona: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${run.ports.demo}/?persona=${persona}`);
  await page.locator("#signed-in", { hasText: "Signed in as" }).waitFor({ timeout: 20_000 });
  return page;
}

it("signs the editor in, shares note edits between two windows, shows the image and the profile", async () => {
  const errors: string[] = [];
  const first = await signIn("editor", errors);
  const second = await signIn("editor", errors);
  for (const page of [first, second])
    await page.locator("#note-status", { hasText: "your edits are shared live" }).waitFor({ timeout: 30_000 });

  await first.locator("#roles li.granted", { hasText: "matched: editor" }).waitFor();
  expect(await first.locator("#requests li.granted").count()).toBe(3);
  const image = first.locator("#image img");
  await image.waitFor();
  await first.waitForFunction(
    () => (document.querySelector("#image img") as HTMLImageElement | null)?.naturalWidth === 240,
    undefined,
    { timeout: 15_000 },
  );
  await first.locator("#profile .granted", { hasText: "Eddie Editor (contoso)" }).waitFor({ timeout: 15_000 });

  const text = `Edited in window one at ${new Date().toISOString()}`;
  await first.locator("#note").fill(text);
  await second.waitForFunction((t) => (document.querySelector("#note") as HTMLTextAreaElement).value === t, text, {
    timeout: 15_000,
  });

  const shots = mkdtempSync(join(tmpdir(), "tb-demo-shot-"));
  const path = process.env.TB_DOCS_SCREENSHOT === "1" ? join(ROOT, "docs", "demo.png") : join(shots, "demo.png");
  try {
    await first.screenshot({ path, fullPage: true });
    expect(statSync(path).size).toBeGreaterThan(10_000);
  } finally {
    rmSync(shots, { recursive: true, force: true });
  }
  expect(errors).toEqual([]);
  await Promise.all([first.close(), second.close()]);
}, 90_000);

it("shows the outsider's denial with its reason, and no credential", async () => {
  const errors: string[] = [];
  const page = await signIn("outsider", errors);
  await page.locator("#requests", { hasText: "The broker granted 0 of 3 requests." }).waitFor({ timeout: 15_000 });
  const denied = await page.locator("#requests li.denied").allTextContents();
  expect(denied).toHaveLength(3);
  for (const line of denied) expect(line).toContain("no-role (the caller holds no role in this policy)");
  expect(await page.locator("#roles li.granted").count()).toBe(0);
  expect(await page.locator("#image img").count()).toBe(0);
  expect(await page.locator("#note").isDisabled()).toBe(true);
  expect(errors).toEqual([]);
  await page.close();
}, 60_000);
