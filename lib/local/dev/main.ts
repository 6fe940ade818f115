/** `npm run dev` (tsx lib/local/dev/main.ts [--port N] [--issuer-port N] ...): see dev-environment.ts and README. */
import { join } from "node:path";
import { banner } from "./banner";
import { startDevEnvironment, type DevEnvironment } from "./dev-environment";
import { PortError, resolvePorts } from "./ports";

async function main(): Promise<void> {
  const began = Date.now();
  const argv = process.argv.slice(2);
  const ports = resolvePorts(argv, process.env);
  const policyDir = join(__dirname, "..", "..", "..", "policies");
  const cosmos = process.env.COSMOS_ENDPOINT && process.env.COSMOS_KEY ? { endpoint: process.env.COSMOS_ENDPOINT, key: process.env.COSMOS_KEY } : undefined;
  let env: DevEnvironment | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await env?.stop();
    process.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(0));
  process.stdout.write("starting the local environment...\n");
  env = await startDevEnvironment({ ports, policyDir, cosmos, log: (line) => process.stdout.write(`${line}\n`) });
  if (stopping) return void (await env.stop());
  process.stdout.write(`${banner(env, Date.now() - began)}\n`);
}

main().catch((e: unknown) => {
  // A busy port or a broken policy is one clear message, not a stack trace.
  const message = e instanceof PortError ? e.message : e instanceof Error ? e.message : String(e);
  process.stderr.write(`npm run dev: ${message}\n`);
  process.exit(1);
});
