/**
 * Issue 19, class 1: `npm run dev` never leaves a process behind, even when killed with SIGKILL (which no handler
 * sees). Starts it on fresh ports as a newcomer would, kills the dev process itself, then npm, and walks /proc for
 * every process the run had started: none may be left, and every port is free again.
 */
import { readdirSync, readFileSync } from "node:fs";
import { READY_LINE } from "../../../lib/local/dev/banner";
import { freshPorts, portOpen, startDev, type DevRun } from "./dev-support";

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  cmd: string;
}

function processes(): Proc[] {
  const all: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      all.push({ pid: Number(name), ppid: Number(ppid), state, cmd });
    } catch {
      // ended while we looked
    }
  }
  return all;
}

function descendantsOf(root: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all)
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
  }
  return found;
}

const alive = (pids: number[]) => {
  const live = new Map(processes().map((p) => [p.pid, p]));
  return pids.filter((pid) => {
    const p = live.get(pid);
    return p !== undefined && p.state !== "Z" && p.state !== "X";
  });
};

let started: number[] = [];
afterEach(() => {
  // A failed run must not leave its processes behind either: only the ones this test started, by pid.
  for (const pid of alive(started)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  started = [];
});

async function startAndRecord(): Promise<{ run: DevRun; tree: Proc[] }> {
  const run = await startDev(await freshPorts());
  await run.waitFor(READY_LINE, 150_000);
  const tree = descendantsOf(run.child.pid!);
  started = [run.child.pid!, ...tree.map((p) => p.pid)];
  // The components the environment runs are all in the tree (so "none left" below means something).
  for (const component of ["azurite", "tinylicious-process.cjs", "oidc-issuer-process.mjs", "tied-child.cjs"])
    expect(tree.some((p) => p.cmd.includes(component))).toBe(true);
  return { run, tree };
}

async function expectAllGone(run: DevRun, pids: number[]) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && alive(pids).length > 0) await new Promise((r) => setTimeout(r, 200));
  const left = processes().filter((p) => alive(pids).includes(p.pid));
  expect(left.map((p) => p.cmd)).toEqual([]);
  for (const port of Object.values(run.ports)) expect(await portOpen(port)).toBe(false);
}

it("SIGKILL of the dev process takes every child with it", async () => {
  const { run, tree } = await startAndRecord();
  // The dev process: the one whose children are the tied components.
  const tied = tree.filter((p) => p.cmd.includes("tied-child.cjs"));
  const dev = tree.find((p) => p.pid === tied[0].ppid)!;
  expect(tied.every((p) => p.ppid === dev.pid)).toBe(true);
  process.kill(dev.pid, "SIGKILL");
  await expectAllGone(run, started);
}, 240_000);

it("SIGKILL of npm itself stops the environment and every child", async () => {
  const { run } = await startAndRecord();
  process.kill(run.child.pid!, "SIGKILL");
  await expectAllGone(run, started);
}, 240_000);
