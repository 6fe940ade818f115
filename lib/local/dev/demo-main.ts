/** `npm run demo [-- --json] [persona...]`: the scripted tour against a running `npm run dev` (tour.ts). */
import { formatTour, runTour } from "./tour";

// Fluid 2.x clients on Node 20 need a navigator (facts.md); fluid-note.ts sets it on import.
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const only = args.filter((a) => !a.startsWith("--"));
  const url = `http://127.0.0.1:${process.env.TB_DEV_PORT ?? 7070}`;
  const tour = await runTour(url, only.length ? only : undefined);
  process.stdout.write(json ? `${JSON.stringify(tour, null, 2)}\n` : `${formatTour(tour)}\n`);
  // A granted credential the service then refused is a failure of the system, not of the persona.
  const broken = tour.personas.some((p) => p.steps.some((s) => s.granted && !s.used?.ok));
  process.exit(broken ? 1 : 0);
}

main().catch((e: Error) => {
  process.stderr.write(`npm run demo: ${e.message}\n`);
  process.exit(1);
});
