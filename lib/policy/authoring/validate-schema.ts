/**
 * JSON Schema validation (ajv, 2020-12) with positions: each ajv error becomes one diagnostic that names the
 * file:line:column, says what is wrong in plain words and how to fix it (the closest allowed name, the allowed values).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import environmentsSchema from "../schemas/environments.schema.json";
import policySchema from "../schemas/policy.schema.json";
import testSchema from "../schemas/policy-test.schema.json";
import { reservedNameProblems } from "./check-names";
import type { PolicyDiagnostic } from "./errors";
import { closest } from "./spelling";
import { ownValue } from "../runtime/own";
import type { JsonPath, YamlSource } from "./yaml-source";

export type SchemaKind = "policy" | "environments" | "policy-test";

const SCHEMA_IDS: Record<SchemaKind, string> = {
  policy: "schema.json",
  environments: "environments.schema.json",
  "policy-test": "policy-test.schema.json",
};
let ajv: Ajv2020 | undefined;
const validators = new Map<SchemaKind, ValidateFunction>();

/** Each schema is compiled when first used: a synth reads no policy tests, and compiling was most of ajv's start. */
function validatorFor(kind: SchemaKind): ValidateFunction {
  let validate = validators.get(kind);
  if (!validate) {
    if (!ajv) {
      ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
      ajv.addSchema(environmentsSchema, SCHEMA_IDS.environments);
      ajv.addSchema(policySchema, SCHEMA_IDS.policy);
      ajv.addSchema(testSchema, SCHEMA_IDS["policy-test"]);
    }
    validate = ajv.getSchema(SCHEMA_IDS[kind])!;
    validators.set(kind, validate);
  }
  return validate;
}

export function validateSchema(source: YamlSource, kind: SchemaKind): PolicyDiagnostic[] {
  const out = reservedNameProblems(source, kind);
  const validate = validatorFor(kind);
  if (validate(source.value)) return out;
  const errors = (validate.errors ?? []).filter(
    (e) => e.keyword !== "if" && !isEchoOfPropertyNames(e, validate.errors!),
  );
  // A reserved name the schema also dislikes (`__proto__` breaks the name pattern) is reported once, as reserved.
  const seen = new Set<string>(out.map((d) => `${d.line}:${d.column}`));
  for (const e of errors) {
    const d = toDiagnostic(source, e);
    const key = `${d.line}:${d.column}:${d.message}`;
    if (!seen.has(key) && !seen.has(`${d.line}:${d.column}`)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

/** ajv reports a bad property name twice (the name's own `pattern`, then `propertyNames`); keep the second. */
function isEchoOfPropertyNames(e: ErrorObject, all: ErrorObject[]): boolean {
  return (
    e.propertyName !== undefined &&
    e.keyword !== "propertyNames" &&
    all.some((o) => o.keyword === "propertyNames" && o.instancePath === e.instancePath)
  );
}

function toDiagnostic(source: YamlSource, e: ErrorObject): PolicyDiagnostic {
  const path = pointerToPath(source.value, e.instancePath);
  const where = describe(path);
  const schema = e.parentSchema as { description?: string; properties?: Record<string, unknown> } | undefined;
  let at = path;
  let key = false;
  let message: string;
  let hint: string;
  switch (e.keyword) {
    case "additionalProperties": {
      const name = String(e.params.additionalProperty);
      const allowed = Object.keys(schema?.properties ?? {});
      const guess = closest(name, allowed);
      at = [...path, name];
      key = true;
      message = `unknown property '${name}' in ${where}`;
      hint = guess ? `did you mean '${guess}'?` : `allowed here: ${allowed.join(", ")}`;
      break;
    }
    case "required": {
      const name = String(e.params.missingProperty);
      const prop = schema?.properties?.[name] as { description?: string } | undefined;
      message = `${where} is missing the required property '${name}'`;
      hint = `add '${name}:'${prop?.description ? ` (${prop.description})` : ""}`;
      break;
    }
    case "propertyNames": {
      const name = String(e.params.propertyName);
      at = [...path, name];
      key = true;
      message = `'${name}' is not a valid name in ${where}`;
      hint = nameHint(path);
      break;
    }
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const guess = closest(String(valueAt(source.value, path)), (e.params.allowedValues as unknown[]).map(String));
      message = `${where} must be one of ${allowed.join(", ")}`;
      hint = guess ? `did you mean ${JSON.stringify(guess)}?` : `use one of ${allowed.join(", ")}`;
      break;
    }
    case "const":
      message = `${where} must be ${JSON.stringify(e.params.allowedValue)}`;
      hint = `set it to ${JSON.stringify(e.params.allowedValue)}`;
      break;
    case "type":
      message = `${where} must be ${article(String(e.params.type))}`;
      hint = schema?.description ?? `write ${article(String(e.params.type))} here`;
      break;
    case "pattern":
      message = `${where} is not in the expected form`;
      hint = schema?.description ?? `it must match ${e.params.pattern}`;
      if (path.includes("ttl") || path.includes("clockTolerance"))
        hint = "write a duration such as 90s, 15m, 1h or 1h30m";
      break;
    case "maxProperties":
    case "minProperties":
      if (path.at(-2) === "grants") {
        message = `a grant names exactly one backend, ${where} names ${Object.keys(Object(valueAt(source.value, path))).length}`;
        hint = "split it into one list item per backend: - cosmos: {...}  - fluid: {...}  - cdn: {...}";
      } else {
        message = `${where} ${e.message}`;
        hint = schema?.description ?? "add at least one entry";
      }
      break;
    case "minItems":
      message = `${where} must not be empty`;
      hint = "add at least one item, or remove the property";
      break;
    case "uniqueItems":
      message = `${where} lists the same item twice (items ${e.params.j} and ${e.params.i})`;
      hint = "remove the duplicate";
      break;
    case "minimum":
      message = `${where} must be at least ${e.params.limit}`;
      hint = "use a positive value";
      break;
    default:
      message = `${where} ${e.message ?? "is invalid"}`;
      hint = schema?.description ?? "see lib/policy/schemas/policy.schema.json";
  }
  return { ...source.positionOf(at, { key }), code: "E_SCHEMA", severity: "error", message, hint, path: at };
}

function nameHint(path: JsonPath): string {
  const section = path[path.length - 1];
  if (section === "prefixes")
    return "a CDN prefix starts and ends with '/' and holds only letters, digits, '_', '.', '-' between slashes";
  if (section === "environments")
    return "environment names are lowercase letters and digits, at most 8 characters (they end up in Azure resource names)";
  return "names start with a letter and hold letters, digits, '_', '.', '-' (at most 64 characters)";
}

/** "/roles/reader/grants/0" -> ["roles", "reader", "grants", 0] (indexes as numbers where the value is a list). */
export function pointerToPath(root: unknown, pointer: string): JsonPath {
  if (pointer === "") return [];
  const out: JsonPath = [];
  let value: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const step: string | number = Array.isArray(value) && /^\d+$/.test(seg) ? Number(seg) : seg;
    out.push(step);
    value = value == null ? undefined : ownValue(value as Record<string | number, unknown>, String(step));
  }
  return out;
}

function valueAt(root: unknown, path: JsonPath): unknown {
  return path.reduce<unknown>(
    (v, k) => (v == null ? undefined : ownValue(v as Record<string, unknown>, String(k))),
    root,
  );
}

/** A readable name for a place in the document: `roles.reader.grants[0].cosmos.ttl`. */
export function describe(path: JsonPath): string {
  if (path.length === 0) return "the document";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
