/**
 * A broker core that exports its telemetry over OTLP, in a process of its own: the OTLP exporters load `http`
 * through import(), which jest's module sandbox refuses without --experimental-vm-modules, so the exporting side
 * runs under plain Node as it would in production. Settings come from the environment as an operator gives them
 * (TOKEN_BROKER_TELEMETRY, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME); TB_ISSUER is the key server, TB_TOKEN a
 * valid token, TB_FORGED a token signed with a key the issuer never published, TB_CDN_KEY the CDN account key.
 * Runs one issued, one denied and one rejected exchange, shuts the export down (sending what is buffered), and
 * prints one JSON line: the export started, each status, the credentials minted and anything the export logged.
 */
import { createCdnMinter } from "../../functions-src/mint/cdn-minter";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { startTelemetryExport } from "../../functions-src/telemetry-export";
import { brokerFor, FLUID } from "../functions/faults/helpers";

async function main() {
  const logged: string[] = [];
  const exporting = await startTelemetryExport(process.env, (l) => logged.push(l));
  const { exchange } = brokerFor(process.env.TB_ISSUER!, {
    fluid: createFluidMinter(() => FLUID),
    cdn: createCdnMinter(() => ({
      baseUrl: "http://127.0.0.1:1/acct/files",
      container: "files",
      signer: {
        kind: "account-key",
        accountName: "acct",
        keys: { primary: process.env.TB_CDN_KEY!, active: "primary" },
      },
    })),
  });
  const issued = await exchange(process.env.TB_TOKEN!, [
    { type: "fluid", documentId: "otlp-secret-document-7" },
    { type: "cdn", path: "/files/otlp-private-plan.pdf" },
  ]);
  const denied = await exchange(process.env.TB_TOKEN!, [{ type: "cdn", path: "/elsewhere/otlp-x" }]);
  const rejected = await exchange(process.env.TB_FORGED!);
  await exporting.shutdown();
  const minted = ((issued.body.credentials ?? []) as { token?: string; url?: string }[]).map((c) => c.token ?? c.url);
  process.stdout.write(
    `${JSON.stringify({ kind: exporting.kind, statuses: [issued.status, denied.status, rejected.status], minted, logged })}\n`,
  );
}
main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
