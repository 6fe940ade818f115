/** What a script needs to talk to a running `npm run dev`: where things run, and a persona's token. */

export interface TourConfig {
  issuer: string;
  audience: string;
  broker: string;
  fluid: { endpoint: string; noteId: string; fabrikamNoteId: string };
  cdn: { logo: { contoso: string; fabrikam: string } };
  policy: { hash: string };
  personas: { id: string; label: string; expect: string; tenant: "contoso" | "fabrikam"; oid: string }[];
}

export async function fetchDevConfig(demoUrl: string): Promise<TourConfig> {
  const res = await fetch(`${demoUrl}/dev/config`).catch(() => undefined);
  if (!res?.ok)
    throw new Error(`no local environment answers at ${demoUrl}: start it with \`npm run dev\` (or set TB_DEV_PORT)`);
  return (await res.json()) as TourConfig;
}

/** A persona's access token from the local issuer's token endpoint. */
export async function personaToken(config: Pick<TourConfig, "issuer" | "audience">, persona: string): Promise<string> {
  const res = await fetch(`${config.issuer}/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${persona}:secret-${persona}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: config.audience, scope: "broker" }),
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!body.access_token)
    throw new Error(
      `the local issuer gave no token for '${persona}' (${body.error ?? res.status}); personas are listed in the banner`,
    );
  return body.access_token;
}
