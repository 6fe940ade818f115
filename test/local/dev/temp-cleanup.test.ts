/**
 * Ctrl-C on `npm run dev` removes every temporary file it made (issue 20): the run gets a temporary directory of its
 * own (TMPDIR), so what is left there afterwards is exactly what the run left behind, whatever other tests do.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { READY_LINE } from "../../../lib/local/dev/banner";
import { freshPorts, groupAlive, interrupt, killGroup, startDev, type DevRun } from "./dev-support";

let run: DevRun | undefined;
const temp = mkdtempSync(join(tmpdir(), "tb-dev-tmpdir-"));
afterAll(() => {
  if (run) killGroup(run);
  rmSync(temp, { recursive: true, force: true });
});

// tsx (the runner behind `npm run dev`) keeps its compile cache in the temp directory on purpose, across runs: not a
// file of the environment's.
const ours = () => readdirSync(temp).filter((name) => !/^tsx-\d+$/.test(name));

it("SIGINT (Ctrl-C) leaves nothing in the temporary directory: keys, certificates, Fluid and azurite data", async () => {
  run = await startDev(await freshPorts(), undefined, { TMPDIR: temp });
  await run.waitFor(READY_LINE, 150_000);
  // While it runs, its files are there (so "none left" below means something).
  expect(ours().length).toBeGreaterThan(0);
  expect(ours().some((name) => name.startsWith("tb-dev-"))).toBe(true);

  const stopped = await interrupt(run);
  expect(stopped.signal ?? stopped.code).not.toBe("SIGKILL");
  // npm answers Ctrl-C by exiting at once; the environment's Node process, in the same group, is still removing its
  // folders then. The run is over when its group is gone (a clean-clone CI run saw both folders still there).
  for (const deadline = Date.now() + 20_000; groupAlive(run) && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(groupAlive(run)).toBe(false);
  expect(ours()).toEqual([]);
}, 240_000);
