/** `token-broker dev token <persona>`: a persona's OIDC access token from the running local environment's issuer. */
import { fetchDevConfig, personaToken } from "../local/dev/dev-client";

export async function runDevCommand(
  command: string,
  args: string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const persona = args.find((a) => !a.startsWith("--"));
  if (command !== "token" || !persona) {
    err("usage: token-broker dev token <persona> [--port <demo page port>]   (personas: see the `npm run dev` banner)");
    return 2;
  }
  const i = args.indexOf("--port");
  const port = i >= 0 ? args[i + 1] : (process.env.TB_DEV_PORT ?? "7070");
  try {
    const config = await fetchDevConfig(`http://127.0.0.1:${port}`);
    if (!config.personas.some((p) => p.id === persona)) {
      err(`unknown persona '${persona}'; personas: ${config.personas.map((p) => p.id).join(", ")}`);
      return 2;
    }
    out(await personaToken(config, persona));
    return 0;
  } catch (e) {
    err((e as Error).message);
    return 1;
  }
}
