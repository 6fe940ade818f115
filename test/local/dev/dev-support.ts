/** Starts `npm run dev` as a child process on fresh ports, as a newcomer would, and watches its output. */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../lib/local/child-process";
import { SERVICES, type Service } from "../../../lib/local/dev/ports";

export const ROOT = join(__dirname, "..", "..", "..");

export interface DevRun {
  child: ChildProcess;
  ports: Record<Service, number>;
  policyDir: string;
  output(): string;
  /** Resolves with the time since spawn when `text` appears in stdout/stderr; rejects after `ms`. */
  waitFor(text: string | RegExp, ms?: number): Promise<number>;
  exited: Promise<number | null>;
}

export async function freshPorts(): Promise<Record<Service, number>> {
  const ports = {} as Record<Service, number>;
  for (const name of Object.keys(SERVICES) as Service[]) {
    let p = await freePort();
    while (Object.values(ports).includes(p)) p = await freePort();
    ports[name] = p;
  }
  return ports;
}

/** `extraEnv`: more environment for the run (e.g. its own TMPDIR). */
export async function startDev(
  ports: Record<Service, number>,
  policyDir?: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<DevRun> {
  const dir = policyDir ?? join(mkdtempSync(join(tmpdir(), "tb-dev-policies-")), "policies");
  if (!policyDir) cpSync(join(ROOT, "policies"), dir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, TB_DEV_POLICY_DIR: dir };
  for (const [name, s] of Object.entries(SERVICES)) env[s.env] = String(ports[name as Service]);
  const began = Date.now();
  // Its own process group, like a terminal's foreground job.
  const child = spawn("npm", ["run", "--silent", "dev"], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    waiters.forEach((w) => w());
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((r) =>
    child.once("exit", (code) => (waiters.forEach((w) => w()), r(code))),
  );
  return {
    child,
    ports,
    policyDir: dir,
    output: () => out,
    exited,
    waitFor: (text, ms = 30_000) =>
      new Promise((resolve, reject) => {
        const from = out.length;
        const check = () => {
          const hit = typeof text === "string" ? out.includes(text, from) : text.test(out.slice(from));
          if (hit) return resolve(Date.now() - began);
          if (child.exitCode !== null) return reject(new Error(`npm run dev exited (${child.exitCode}):\n${out}`));
        };
        waiters.push(check);
        check();
        setTimeout(() => reject(new Error(`timed out waiting for ${text}; output:\n${out}`)), ms).unref();
      }),
  };
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => (s.destroy(), resolve(true))).on("error", () => resolve(false));
  });
}

/** Ctrl-C as a terminal sends it: SIGINT to the foreground process group; then waits for npm to end. */
export async function interrupt(
  run: DevRun,
  ms = 20_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const began = Date.now();
  if (run.child.exitCode === null && run.child.signalCode === null) {
    process.kill(-run.child.pid!, "SIGINT");
    const timer = setTimeout(() => killGroup(run), ms);
    await run.exited;
    clearTimeout(timer);
  }
  return { code: run.child.exitCode, signal: run.child.signalCode, ms: Date.now() - began };
}

/** Last resort for a failed test: the whole group, so nothing is left behind. */
export function killGroup(run: DevRun): void {
  try {
    process.kill(-run.child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}

export function groupAlive(run: DevRun): boolean {
  try {
    process.kill(-run.child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}
