/**
 * The build cache (lib/engine/build-cache.cjs) that synthesis keeps its bundles in: a result is used again only while
 * its options and every file esbuild read are unchanged, compared by content. Each test builds a small program in its
 * own folder under its own cache name, and removes both.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuildOptions, Plugin } from "esbuild";
import { CACHE_DIR, cachedBuild, cachedBuildSync } from "../../../lib/engine/build-cache.cjs";

let dir: string;
let name: string;
const entryFile = () => join(CACHE_DIR, `${name}.json`);
const options = (): BuildOptions => ({
  entryPoints: [join(dir, "main.ts")],
  outfile: join(dir, "out.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  logLevel: "silent",
});
const text = (outputs: { contents: Uint8Array }[]) => Buffer.from(outputs[0].contents).toString("utf8");
/** The entry's inode: a write renames a new file into place, so an unchanged inode means the cache was only read. */
const entryInode = () => statSync(entryFile()).ino;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-build-cache-"));
  name = `test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, "main.ts"), 'import { word } from "./word";\nconsole.log(word);\n');
  writeFileSync(join(dir, "word.ts"), 'export const word: string = "alpha";\n');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(entryFile(), { force: true });
  delete process.env.TOKEN_BROKER_BUILD_CACHE;
});

it("answers a repeated build from the cache, with the same bytes, without writing the entry again", () => {
  const first = cachedBuildSync(name, options());
  const inode = entryInode();
  const second = cachedBuildSync(name, options());
  expect(text(second)).toBe(text(first));
  expect(second[0].path).toBe(join(dir, "out.js"));
  expect(entryInode()).toBe(inode);
});

it("rebuilds when a file the entry imports changes, even with its size and mtime restored", () => {
  expect(text(cachedBuildSync(name, options()))).toContain('"alpha"');
  const word = join(dir, "word.ts");
  const { mtime, atime } = statSync(word);
  writeFileSync(word, 'export const word: string = "omega";\n'); // same length as before
  utimesSync(word, atime, mtime);
  expect(text(cachedBuildSync(name, options()))).toContain('"omega"');
});

it("rebuilds when the options change", () => {
  const plain = text(cachedBuildSync(name, options()));
  const minified = text(cachedBuildSync(name, { ...options(), minify: true }));
  expect(minified.length).toBeLessThan(plain.length);
  expect(text(cachedBuildSync(name, options()))).toBe(plain);
});

it("fails as esbuild does when an input it used is gone, instead of answering from the cache", () => {
  cachedBuildSync(name, options());
  rmSync(join(dir, "word.ts"));
  expect(() => cachedBuildSync(name, options())).toThrow(/Could not resolve "\.\/word"/);
});

it("rebuilds over an unreadable entry", () => {
  cachedBuildSync(name, options());
  writeFileSync(entryFile(), "{ half an entr");
  expect(text(cachedBuildSync(name, options()))).toContain('"alpha"');
  expect(JSON.parse(readFileSync(entryFile(), "utf8")).outputs).toHaveLength(1);
});

it("with TOKEN_BROKER_BUILD_CACHE=off, neither reads nor writes an entry", () => {
  process.env.TOKEN_BROKER_BUILD_CACHE = "off";
  cachedBuildSync(name, options());
  expect(() => statSync(entryFile())).toThrow(/ENOENT/);
});

it("keys a plugin build by the salt that names what its plugins do", async () => {
  const shout = (suffix: string): Plugin => ({
    name: "shout",
    setup(build) {
      build.onLoad({ filter: /word\.ts$/ }, (args) => ({
        contents: readFileSync(args.path, "utf8").replace("alpha", `alpha${suffix}`),
        loader: "ts",
      }));
    },
  });
  const one = await cachedBuild(name, { ...options(), plugins: [shout("!")] }, "shout: !");
  expect(text(one)).toContain('"alpha!"');
  const two = await cachedBuild(name, { ...options(), plugins: [shout("?")] }, "shout: ?");
  expect(text(two)).toContain('"alpha?"');
});

it("refuses a cache name that is not a plain file name", () => {
  expect(() => cachedBuildSync("../escape", options())).toThrow(/plain file name/);
});
