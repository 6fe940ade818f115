/**
 * An esbuild result kept in `.gen/cache/<name>.json` and used again while nothing it was made from has changed.
 *
 * Synthesis bundles the same sources every time (the broker for its packages, the CDKTF app itself), and bundling
 * was most of an unchanged synth (docs/benchmarks.md, "Synth"). A result is used again only when:
 *   - its key matches: the build options, esbuild's version, package-lock.json's bytes and the caller's `salt`
 *     (plugins are functions, so the caller names what they do there); and
 *   - every file esbuild read (its metafile's inputs) still has the same SHA-256. Contents, not mtimes: a checkout,
 *     a copy or a restored cache can keep an mtime while the bytes change.
 * Anything else (no entry, a different key, one changed, moved or deleted input, an unreadable entry) rebuilds.
 * A file esbuild never read cannot be checked, which is why the lockfile is in the key: an install that moves a
 * package leaves the importing file's bytes as they were.
 *
 * Entries are written to a temporary file and renamed, so a parallel synth (jest runs several) reads the old entry
 * or the new one, never half of one. TOKEN_BROKER_BUILD_CACHE=off bypasses it, and the reuse of broker packages
 * (stacks/broker-package.ts): a synth then does what a fresh clone's first one does (the synth bench's cold rows).
 */
"use strict";

const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

const ROOT = join(__dirname, "..", "..");
const CACHE_DIR = join(ROOT, ".gen", "cache");

const sha256 = (data) => createHash("sha256").update(data).digest("hex");

function fileHash(path) {
  try {
    return sha256(readFileSync(path));
  } catch {
    return null; // absent: recorded as such, so the file appearing later is a change
  }
}

function cacheEnabled() {
  return process.env.TOKEN_BROKER_BUILD_CACHE !== "off";
}

function keyOf(options, salt) {
  const { version } = require("esbuild");
  return sha256(JSON.stringify([options, version, fileHash(join(ROOT, "package-lock.json")), salt ?? ""]));
}

function entryPath(name) {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`build cache name must be a plain file name: ${name}`);
  return join(CACHE_DIR, `${name}.json`);
}

/** The cached output files of `name` if its key matches and every input is unchanged, else undefined. */
function readEntry(name, key) {
  let entry;
  try {
    entry = JSON.parse(readFileSync(entryPath(name), "utf8"));
  } catch {
    return undefined;
  }
  if (entry.key !== key) return undefined;
  for (const [path, hash] of Object.entries(entry.inputs)) if (fileHash(path) !== hash) return undefined;
  return entry.outputs.map(({ path, contents }) => ({ path, contents: Buffer.from(contents, "base64") }));
}

function writeEntry(name, key, workingDir, result) {
  const inputs = {};
  // Metafile paths are relative to the working directory; stored absolute so the entry does not depend on the cwd.
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(workingDir, input);
    inputs[path] = fileHash(path);
  }
  const outputs = result.outputFiles.map(({ path, contents }) => ({
    path,
    contents: Buffer.from(contents).toString("base64"),
  }));
  const final = entryPath(name);
  const temporary = `${final}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(temporary, JSON.stringify({ key, inputs, outputs }));
    renameSync(temporary, final);
  } catch {
    // A read-only checkout or a full disk: the build still succeeded, only the next one will not be faster.
    rmSync(temporary, { force: true });
  }
}

function prepare(options) {
  const workingDir = options.absWorkingDir ?? process.cwd();
  return { workingDir, options: { ...options, absWorkingDir: workingDir, metafile: true, write: false } };
}

/** esbuild's buildSync, answered from the cache when nothing it read has changed. Returns the output files. */
function cachedBuildSync(name, buildOptions, salt) {
  const { workingDir, options } = prepare(buildOptions);
  const key = keyOf(options, salt);
  const cached = cacheEnabled() ? readEntry(name, key) : undefined;
  if (cached) return cached;
  const result = require("esbuild").buildSync(options);
  if (cacheEnabled()) writeEntry(name, key, workingDir, result);
  return result.outputFiles;
}

/** esbuild's build (which, unlike buildSync, takes plugins); `salt` must name what the plugins do. */
async function cachedBuild(name, buildOptions, salt) {
  const { workingDir, options } = prepare(buildOptions);
  const key = keyOf({ ...options, plugins: (options.plugins ?? []).map((p) => p.name) }, salt);
  const cached = cacheEnabled() ? readEntry(name, key) : undefined;
  if (cached) return cached;
  const result = await require("esbuild").build(options);
  if (cacheEnabled()) writeEntry(name, key, workingDir, result);
  return result.outputFiles;
}

module.exports = { cachedBuildSync, cachedBuild, sha256, CACHE_DIR };
