/**
 * `token-broker init [dir]`: a new policy repository in an empty folder (package.json, its lock and node_modules
 * may already be there: `npm install azure-token-broker && npx token-broker init` is the way in). It writes the
 * example policy with its tests, a CDKTF app using `azure-token-broker/constructs`, the two workflows and a README,
 * which pass `policy check`, `policy test` and `cdktf synth` as written. It never overwrites a file.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";

type Print = (s: string) => void;

const PACKAGE_ROOT = join(__dirname, "..", "..");
/** What may already be in the folder: what `npm install azure-token-broker` leaves, and a fresh git repository. */
const ALLOWED_BEFORE = new Set(["package.json", "package-lock.json", "node_modules", ".git"]);
const COPIED = [
  ".github/workflows/policy-review.yml",
  ".github/workflows/ephemeral-env.yml",
  ".github/scripts/policy-review.sh",
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The example policies, their `$schema` pointing into node_modules so an editor validates them as you type. */
function policyFiles(): Record<string, string> {
  const source = join(PACKAGE_ROOT, "policies");
  return Object.fromEntries(
    filesUnder(source).map((file) => {
      const rel = relative(source, file).split(sep).join("/");
      const up = "../".repeat(rel.split("/").length);
      const text = readFileSync(file, "utf8").replace(
        /\$schema=(?:\.\.\/)+lib\/policy\/schemas\//,
        `$schema=${up}node_modules/azure-token-broker/lib/policy/schemas/`,
      );
      return [`policies/${rel}`, text];
    }),
  );
}

function packageJson(existing: Record<string, unknown>, folder: string): string {
  const own = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8"));
  const deps = { ...(existing.dependencies as Record<string, string> | undefined) };
  const devDeps = { ...(existing.devDependencies as Record<string, string> | undefined) };
  deps["azure-token-broker"] ??= `^${own.version}`;
  // The CDKTF app imports App from cdktf: the same versions as the constructs', so npm installs one copy.
  for (const name of ["cdktf", "constructs", "tsx"]) deps[name] ??= own.dependencies[name];
  devDeps["cdktf-cli"] ??= own.devDependencies["cdktf-cli"];
  const scripts = {
    "policy:check": "token-broker policy check",
    "policy:test": "token-broker policy test",
    synth: "cdktf synth",
    ...(existing.scripts as Record<string, string> | undefined),
  };
  const name =
    existing.name ??
    (basename(folder)
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-") ||
      "access-policy");
  const result = {
    ...existing,
    name,
    private: existing.private ?? true,
    scripts,
    dependencies: deps,
    devDependencies: devDeps,
  };
  return JSON.stringify(result, null, 2) + "\n";
}

export function scaffoldFiles(folder: string): Record<string, string> {
  const scaffold = join(__dirname, "scaffold");
  const project = basename(folder).replace(/[^A-Za-z0-9-]/g, "-") || "access-policy";
  return {
    ...policyFiles(),
    ...Object.fromEntries(COPIED.map((p) => [p, readFileSync(join(PACKAGE_ROOT, p), "utf8")])),
    "main.ts": readFileSync(join(scaffold, "main.ts"), "utf8"),
    "README.md": readFileSync(join(scaffold, "README.md"), "utf8"),
    "cdktf.json":
      JSON.stringify(
        {
          language: "typescript",
          app: "node --import tsx main.ts",
          projectId: project,
          sendCrashReports: "false",
          terraformProviders: [],
          terraformModules: [],
          context: {},
        },
        null,
        2,
      ) + "\n",
    ".gitignore": ["node_modules/", "cdktf.out/", ".gen/", ".terraform/", "terraform.*.tfstate*", ""].join("\n"),
  };
}

export function initCommand(argv: string[], out: Print, err: Print, cwd = process.cwd()): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { force: { type: "boolean" } } });
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  const folder = resolve(cwd, parsed.positionals[0] ?? ".");
  mkdirSync(folder, { recursive: true });
  const present = readdirSync(folder).filter((name) => !ALLOWED_BEFORE.has(name));
  if (present.length > 0 && !parsed.values.force) {
    err(
      `${folder} is not empty (${present.slice(0, 5).join(", ")}${present.length > 5 ? ", …" : ""}); init starts a new repository: use an empty folder, or --force to add only the missing files`,
    );
    return 1;
  }
  const packagePath = join(folder, "package.json");
  const existing = existsSync(packagePath) ? JSON.parse(readFileSync(packagePath, "utf8")) : {};
  const files = scaffoldFiles(folder);
  const clashes = Object.keys(files).filter((p) => existsSync(join(folder, p)));
  if (clashes.length > 0) {
    err(`init never overwrites: ${clashes.join(", ")} already exist(s); move them away first`);
    return 1;
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text, path.endsWith(".sh") ? { mode: 0o755 } : undefined);
  }
  writeFileSync(packagePath, packageJson(existing, folder));
  out(`wrote ${Object.keys(files).length + 1} files in ${folder}:`);
  for (const path of [...Object.keys(files), "package.json"].sort()) out(`  ${path}`);
  out("next: npm install && npx token-broker policy check && npx token-broker policy test && npx cdktf synth");
  return 0;
}
