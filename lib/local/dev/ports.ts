/**
 * Where `npm run dev` listens: fixed defaults on 127.0.0.1, each one overridable by an environment variable or a
 * flag, checked to be distinct and free before anything starts (a busy port is one line naming it).
 */
import { createServer } from "node:net";

export const SERVICES = {
  demo: { label: "demo page", env: "TB_DEV_PORT", flag: "--port", port: 7070 },
  issuer: { label: "OIDC issuer", env: "TB_DEV_ISSUER_PORT", flag: "--issuer-port", port: 7071 },
  broker: { label: "token broker", env: "TB_DEV_BROKER_PORT", flag: "--broker-port", port: 7072 },
  fluid: { label: "Fluid (tinylicious)", env: "TB_DEV_FLUID_PORT", flag: "--fluid-port", port: 7073 },
  storage: { label: "azurite (CDN origin)", env: "TB_DEV_STORAGE_PORT", flag: "--storage-port", port: 7074 },
  cosmos: { label: "Cosmos stand-in", env: "TB_DEV_COSMOS_PORT", flag: "--cosmos-port", port: 7075 },
  cdn: { label: "CDN edge", env: "TB_DEV_CDN_PORT", flag: "--cdn-port", port: 7076 },
} as const;

export type Service = keyof typeof SERVICES;
export type Ports = Record<Service, number>;

export class PortError extends Error {}

/** Flags win over environment variables, which win over the defaults. */
export function resolvePorts(argv: string[], env: NodeJS.ProcessEnv): Ports {
  const ports = {} as Ports;
  for (const [name, s] of Object.entries(SERVICES) as [Service, (typeof SERVICES)[Service]][]) {
    const i = argv.indexOf(s.flag);
    const raw = i >= 0 ? argv[i + 1] : env[s.env];
    const port = raw === undefined || raw === "" ? s.port : Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new PortError(`${s.flag} / ${s.env} must be a port number (1-65535), got '${raw}'`);
    ports[name] = port;
  }
  const seen = new Map<number, Service>();
  for (const [name, port] of Object.entries(ports) as [Service, number][]) {
    const other = seen.get(port);
    if (other)
      throw new PortError(`port ${port} is given to both the ${SERVICES[other].label} and the ${SERVICES[name].label}`);
    seen.set(port, name);
  }
  return ports;
}

/** Throws a one-line PortError for the first port that something else holds. */
export async function assertPortsFree(ports: Ports): Promise<void> {
  for (const [name, port] of Object.entries(ports) as [Service, number][]) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer()
        .once("error", () => resolve(false))
        .listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    const s = SERVICES[name];
    if (!free)
      throw new PortError(
        `port ${port} (${s.label}) is in use: stop what holds it, or choose another with ${s.flag} <port> or ${s.env}=<port>`,
      );
  }
}
