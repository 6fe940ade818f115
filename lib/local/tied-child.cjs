// Runs one local component (azurite, tinylicious, the OIDC issuer, redis-server, ...) so that it dies with the
// process that started it, however that process ends (SIGKILL included, which no handler sees): the parent holds the
// write end of this process's stdin, and the kernel closes it when the parent dies. stdin closing stops the
// component (SIGTERM, SIGKILL after a bound). Signals sent to this process are passed on; it exits as the component
// did. Usage: node tied-child.cjs <command> [args...]   (stdout and stderr are the component's own)
"use strict";
const { spawn } = require("node:child_process");

const KILL_AFTER_MS = 3000;
const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
let stopping = false;

function stop(signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (stopping) return;
  stopping = true;
  setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS).unref();
}

child.on("error", (e) => {
  process.stderr.write(`${command}: ${e.message}\n`);
  process.exit(127);
});
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => stop(signal));
// The parent is gone (or let go of us): take the component down with it.
process.stdin.on("end", () => stop("SIGTERM"));
process.stdin.on("close", () => stop("SIGTERM"));
process.stdin.on("error", () => stop("SIGTERM"));
process.stdin.resume();
