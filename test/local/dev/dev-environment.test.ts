/**
 * `npm run dev` end to end, as a child process on fresh ports: ready (banner) in under 20 s, the demo tour gives every
 * persona exactly its expected outcome against the real local services, a broken policy is reported with
 * file:line:column while the last good policy keeps serving, the fix reloads, and Ctrl-C frees every port.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { READY_LINE } from "../../../lib/local/dev/banner";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { PersonaResult } from "../../../lib/local/dev/tour";
import { personaToken } from "../../../lib/local/dev/dev-client";
import { freshPorts, groupAlive, interrupt, killGroup, portOpen, ROOT, startDev, type DevRun } from "./dev-support";

let run: DevRun;
let readyMs = 0;
let firstNote = "";

beforeAll(async () => {
  run = await startDev(await freshPorts());
  readyMs = await run.waitFor(READY_LINE, 60_000);
}, 70_000);

afterAll(async () => {
  if (run) {
    await interrupt(run);
    killGroup(run);
  }
});

const demo = () => `http://127.0.0.1:${run.ports.demo}`;

// The < 20 s target is measured by `npm run bench:dev` (a timing target does not belong in a test on a shared
// machine); here the banner must come (60 s timeout) and say what runs where.
it("prints one banner: what runs where, the stand-in named, the personas", () => {
  const phases = run
    .output()
    .split("\n")
    .filter((l) => /^\s+\[\d|^starting/.test(l));
  process.stdout.write(`npm run dev: banner after ${readyMs} ms\n${phases.join("\n")}\n`);
  expect(run.output()).toContain("STAND-IN");
  expect(run.output()).toMatch(
    /personas[\s\S]*reader[\s\S]*editor[\s\S]*admin[\s\S]*support[\s\S]*outsider[\s\S]*fabrikam/,
  );
});

it("serves where everything runs at /dev/config", async () => {
  const config = (await (await fetch(`${demo()}/dev/config`)).json()) as {
    broker: string;
    fluid: { noteId: string };
    cosmos: { standIn: boolean };
  };
  expect(config.broker).toBe(`http://127.0.0.1:${run.ports.broker}`);
  expect(config.cosmos.standIn).toBe(true);
  firstNote = config.fluid.noteId;
  expect(firstNote).toMatch(/\S/);
});

describe("the demo tour", () => {
  let tour: { policy: string; personas: PersonaResult[] };
  beforeAll(async () => {
    // `npm run demo --json`, exactly as a person would run it next to `npm run dev`.
    const env = { ...process.env, TB_DEV_PORT: String(run.ports.demo) };
    const { stdout } = await promisify(execFile)("npm", ["run", "--silent", "demo", "--", "--json"], {
      cwd: ROOT,
      env,
    });
    tour = JSON.parse(stdout);
  }, 90_000);
  const of = (id: string) => tour.personas.find((p) => p.persona === id)!;
  const outcome = (id: string) =>
    of(id).steps.map((s) => [s.type, s.granted ? `granted:${s.scope}` : `denied:${s.reason}`, s.used?.ok ?? null]);

  it("gives reader, editor and admin their tenant's note (not Fabrikam's), profile and image, each used for real", () => {
    const tid = "0c0ffee0-0000-4000-8000-00000000a001";
    for (const [id, scopes, n] of [
      ["reader", "doc:read", 1],
      ["editor", "doc:read doc:write summary:write", 2],
      ["admin", "doc:read doc:write summary:write", 3],
    ] as const) {
      expect(outcome(id)).toEqual([
        ["fluid", `granted:${scopes}`, true],
        ["fluid", "denied:not-owned", null],
        ["cosmos", `granted:read on profiles partition "0c0ffee0-0000-4000-8000-00000000000${n}"`, true],
        ["cdn", `granted:read /tenants/${tid}/logo.svg`, true],
      ]);
      expect(of(id).steps[2].used!.detail).toContain("another person's profile: 403");
    }
    expect(of("editor").roles).toEqual(["editor"]);
  });

  it("refuses support (a production-only role) and the outsider everything, saying why", () => {
    for (const id of ["support", "outsider"]) {
      expect(of(id).status).toBe(403);
      expect(outcome(id)).toEqual([
        ["fluid", "denied:no-role", null],
        ["fluid", "denied:no-role", null],
        ["cosmos", "denied:no-role", null],
        ["cdn", "denied:no-role", null],
      ]);
    }
  });

  it("gives the other tenant's editor its own note and image and never Contoso's (issue 21)", () => {
    expect(outcome("fabrikam")).toEqual([
      ["fluid", "denied:not-owned", null],
      ["fluid", "granted:doc:read doc:write summary:write", true],
      ["cosmos", 'granted:read on profiles partition "0c0ffee0-0000-4000-8000-000000000006"', true],
      ["cdn", "granted:read /tenants/0c0ffee0-0000-4000-8000-00000000b001/logo.svg", true],
      ["cdn", "denied:not-granted", null],
    ]);
  });
});

it("`token-broker dev token <persona>` prints the persona's token from the running issuer", async () => {
  const cli = join(ROOT, "lib", "cli", "token-broker.cjs");
  const env = { ...process.env, TB_DEV_PORT: String(run.ports.demo) };
  const { stdout } = await promisify(execFile)(process.execPath, [cli, "dev", "token", "editor"], { env });
  const payload = JSON.parse(Buffer.from(stdout.trim().split(".")[1], "base64url").toString("utf8"));
  expect(payload).toMatchObject({
    iss: `http://127.0.0.1:${run.ports.issuer}`,
    aud: "api://token-broker-local",
    oid: "0c0ffee0-0000-4000-8000-000000000002",
    roles: ["Docs.Editor"],
  });
  const unknown = await promisify(execFile)(process.execPath, [cli, "dev", "token", "nobody"], { env }).catch((e) => e);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain(
    "unknown persona 'nobody'; personas: reader, editor, admin, support, outsider, fabrikam",
  );
}, 30_000);

it("reports a broken policy at file:line:column, keeps serving the last good one, and reloads the fix", async () => {
  const file = join(run.policyDir, "policy.yaml");
  const good = readFileSync(file, "utf8");
  const config = async () =>
    (await (await fetch(`${demo()}/dev/config`)).json()) as { policy: { hash: string; error: string | null } };
  const before = (await config()).policy.hash;
  const ask = async () => {
    const token = await personaToken(
      { issuer: `http://127.0.0.1:${run.ports.issuer}`, audience: "api://token-broker-local" },
      "editor",
    );
    const res = await fetch(`http://127.0.0.1:${run.ports.broker}/api/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ requests: [{ type: "cosmos", container: "profiles" }] }),
    });
    return { status: res.status, policy: ((await res.json()) as { policy: string }).policy };
  };

  writeFileSync(file, good.replace("container: profiles, partitionKey", "container: profils, partitionKey"));
  await run.waitFor(
    /policy error \(still serving sha256:[0-9a-f]{64}\):\n.*policy\.yaml:\d+:\d+ error E_UNKNOWN_CONTAINER/,
    20_000,
  );
  const line = good.split("\n").findIndex((l) => l.includes("container: profiles, partitionKey")) + 1;
  expect(run.output()).toMatch(new RegExp(`policy\\.yaml:${line}:\\d+ error E_UNKNOWN_CONTAINER`));
  expect((await config()).policy).toMatchObject({
    hash: before,
    error: expect.stringContaining("E_UNKNOWN_CONTAINER"),
  });
  expect(await ask()).toEqual({ status: 200, policy: before });

  writeFileSync(file, good.replace("scopes: [doc:read], ttl: 1h }", "scopes: [doc:read], ttl: 45m }"));
  await run.waitFor(/policy reloaded: sha256:/, 20_000);
  const after = (await config()).policy;
  expect(after.error).toBeNull();
  expect(after.hash).not.toBe(before);
  expect(await ask()).toEqual({ status: 200, policy: after.hash });
}, 60_000);

it("stops every child and frees every port on Ctrl-C", async () => {
  for (const p of Object.values(run.ports)) expect(await portOpen(p)).toBe(true);
  const stopped = await interrupt(run);
  // npm itself ends by the SIGINT (as in a terminal); what matters is that nothing is left.
  expect(stopped.code === 0 || stopped.signal === "SIGINT").toBe(true);
  expect(stopped.ms).toBeLessThan(15_000);
  for (const p of Object.values(run.ports)) expect(await portOpen(p)).toBe(false);
  expect(groupAlive(run)).toBe(false);
}, 30_000);

it("starts again on the same ports, reusing nothing of the first run", async () => {
  const again = await startDev(run.ports, run.policyDir);
  try {
    await again.waitFor(READY_LINE, 60_000);
    const config = (await (await fetch(`http://127.0.0.1:${run.ports.demo}/dev/config`)).json()) as {
      fluid: { noteId: string };
    };
    // A fresh Fluid service (new storage, new keys): the first run's note does not exist here.
    expect(config.fluid.noteId).not.toBe(firstNote);
  } finally {
    await interrupt(again);
    killGroup(again);
  }
  for (const p of Object.values(run.ports)) expect(await portOpen(p)).toBe(false);
}, 90_000);
