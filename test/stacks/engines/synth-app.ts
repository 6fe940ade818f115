/**
 * Runs the CDKTF app exactly as `cdktf synth` would (cdktf.json's `app` command, with CDKTF_OUTDIR) under one engine,
 * in a child process: jest resolves modules through its own registry, which the engine switch
 * (lib/engine/select-engine.cjs, a CommonJS resolution hook) does not reach, and one process must never hold both
 * engines. `cdktn-cli` needs Node >= 22.19, so the app is run directly rather than through a CLI.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ROOT } from "../../policy/helpers";

export type Engine = "cdktf" | "cdktn";

export interface EngineSynth {
  engine: Engine;
  /** manifest.json: `version` and one entry per stack (annotations included). */
  manifest: { version: string; stacks: Record<string, Record<string, any>> };
  /** Each stack's cdk.tf.json, by stack id, as listed in the manifest. */
  stacks: Record<string, Record<string, any>>;
  /** Every other file the synthesis wrote (assets), relative path → size in bytes. */
  files: Record<string, number>;
  /** The engine and provider-binding packages the app process loaded (record-engine-packages.cjs). */
  packages: string[];
  /** UTC days at the start and the end of the run (the `expires-on` tag is computed from the clock). */
  days: [string, string];
}

/** The environment of the pull-request workflow's synthesis: a PR number and remote state (CI refuses one without). */
export function workflowEnvironment(pr: string, engine: Engine): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CHECKPOINT_DISABLE: "1",
    TOKEN_BROKER_PR: pr,
    TOKEN_BROKER_STATE_RESOURCE_GROUP: "rg-engines-tfstate",
    TOKEN_BROKER_STATE_STORAGE_ACCOUNT: "stenginestfstate",
    TOKEN_BROKER_STATE_CONTAINER: "tfstate",
    TOKEN_BROKER_ENGINE: engine,
  };
}

/**
 * cdktf.json's `app`, split into argv, with `node` replaced by this Node, `preloads` added as `--require`s and, given
 * an `entry`, another app file in place of its last word (stacks/main.ts).
 */
export function appCommand(preloads: string[] = [], entry?: string): [string, string[]] {
  const config = JSON.parse(readFileSync(join(ROOT, "cdktf.json"), "utf8")) as { app: string };
  const [program, ...args] = config.app.trim().split(/\s+/);
  if (program !== "node") throw new Error(`cdktf.json app must start with node to be run here: ${config.app}`);
  if (entry) args[args.length - 1] = entry;
  return [process.execPath, [...preloads.flatMap((p) => ["--require", p]), ...args]];
}

export interface SynthOptions {
  /** TOKEN_BROKER_PR: the pull request whose ephemeral stack the app adds. */
  pr: string;
  /** More `--require`d files (a test's deliberate breakage). */
  preloads?: string[];
  /** Another app file to run instead of stacks/main.ts, through the same command. */
  entry?: string;
}

export function synthApp(engine: Engine, options: SynthOptions): EngineSynth {
  const outdir = mkdtempSync(join(tmpdir(), `tb-synth-${engine}-`));
  const record = join(outdir, "..", `${outdir.split(/[\\/]/).pop()}.engine.json`);
  try {
    const preloads = [join(__dirname, "record-engine-packages.cjs"), ...(options.preloads ?? [])];
    const [node, args] = appCommand(preloads, options.entry);
    execFileSync(node, args, {
      cwd: ROOT,
      env: { ...workflowEnvironment(options.pr, engine), CDKTF_OUTDIR: outdir, TB_ENGINE_RECORD: record },
      stdio: "pipe",
      timeout: 120_000,
    });
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as EngineSynth["manifest"];
    const stacks: EngineSynth["stacks"] = {};
    const stackFiles = new Set<string>(["manifest.json"]);
    for (const [id, entry] of Object.entries(manifest.stacks)) {
      stacks[id] = JSON.parse(readFileSync(join(outdir, entry.synthesizedStackPath), "utf8"));
      stackFiles.add(entry.synthesizedStackPath);
    }
    const files: Record<string, number> = {};
    for (const file of walk(outdir)) {
      const rel = relative(outdir, file).split(/[\\/]/).join("/");
      if (!stackFiles.has(rel)) files[rel] = statSync(file).size;
    }
    const recorded = JSON.parse(readFileSync(record, "utf8")) as { packages: string[]; days: [string, string] };
    return { engine, manifest, stacks, files, packages: recorded.packages, days: recorded.days };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(record, { force: true });
  }
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}
