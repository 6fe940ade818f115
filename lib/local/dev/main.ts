/** `npm run dev [-- --port N --issuer-port N ... --policies <dir> --origin <url>]`: see dev-environment.ts and ports.ts. */
import { join, resolve } from "node:path";
import { banner } from "./banner";
import { startDevEnvironment, type DevEnvironment } from "./dev-environment";
import { devUsage, originsFrom } from "./dev-usage";
import { PortError, resolvePorts } from "./ports";
import { watchLauncher } from "./watch-launcher";

async function main(): Promise<void> {
  // Time to ready counts from process start: module loading is part of what a newcomer waits for.
  const began = Date.now() - Math.round(process.uptime() * 1000);
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) return void process.stdout.write(`${devUsage()}\n`);
  const origins = originsFrom(argv);
  const ports = resolvePorts(argv, process.env);
  const i = argv.indexOf("--policies");
  const policyDir = resolve(
    i >= 0 ? argv[i + 1] : (process.env.TB_DEV_POLICY_DIR ?? join(__dirname, "..", "..", "..", "policies")),
  );
  const cosmos =
    process.env.COSMOS_ENDPOINT && process.env.COSMOS_KEY
      ? { endpoint: process.env.COSMOS_ENDPOINT, key: process.env.COSMOS_KEY }
      : undefined;
  // Assigned once the environment is up; the shutdown handler reads it before that.
  // eslint-disable-next-line prefer-const
  let env: DevEnvironment | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await env?.stop();
    process.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(0));
  // npm or tsx killed (SIGKILL reaches no handler): stop too, and the children stop with this process.
  watchLauncher(() => void shutdown(1));
  process.stdout.write(`starting the local environment... (${process.uptime().toFixed(1)} s loading)\n`);
  env = await startDevEnvironment({
    ports,
    policyDir,
    cosmos,
    origins,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  if (stopping) return void (await env.stop());
  process.stdout.write(`${banner(env, Date.now() - began)}\n`);
}

main().catch((e: unknown) => {
  // A busy port or a broken policy is one clear message, not a stack trace.
  const message = e instanceof PortError || e instanceof Error ? e.message : String(e);
  process.stderr.write(`npm run dev: ${message}\n`);
  process.exit(1);
});
