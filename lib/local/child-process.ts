/**
 * Shared by the local components the tests and `npm run dev` start (oidc-provider, azurite, tinylicious,
 * redis-server): a free loopback port, a child that dies with its parent, a clean stop.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

/**
 * Starts `command` under tied-child.cjs, which stops it when this process dies for any reason (SIGKILL included):
 * no local component outlives what started it, so nothing holds a port for the next start. stdout and stderr are
 * piped to the caller as before; the returned process is the wrapper (signals and the exit code pass through).
 */
export function spawnTied(command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, [join(__dirname, "tied-child.cjs"), command, ...args], {
    env: options.env ?? process.env,
    // stdin is the tie: never written, closed by the kernel when this process ends.
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Polls `probe` until it answers true; fails fast if the child exits, or after `timeoutMs`. */
export async function waitUntilReady(
  name: string,
  child: ChildProcess,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${name} did not start within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}
