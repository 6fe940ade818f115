/**
 * Lookups keyed by a name that came from a policy file, an environment, a request or a token.
 *
 * Every plain object inherits `constructor`, `toString`, `__proto__` and the other Object.prototype members, so
 * `record[name]` or `name in record` answers "present" for a name the record never held, and `record[name] = v`
 * with `__proto__` replaces the record's prototype instead of adding a key. A policy that reads claim `constructor`
 * would then match every caller (issue 19, class 2). Every lookup by such a name goes through these functions,
 * which see own properties only; `policy check` also refuses these names outright (PROTOTYPE_NAMES, E_RESERVED_NAME).
 * Dependency-free: bundled into the broker.
 */

/** The names every plain object already has: Object.prototype's own property names (which include `__proto__`). */
export const PROTOTYPE_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  "__proto__",
]);

export function isPrototypeName(name: string): boolean {
  return PROTOTYPE_NAMES.has(name);
}

/** Whether `record` itself holds `name` (never through its prototype). */
export function hasOwnName(record: object | null | undefined, name: string): boolean {
  return record !== null && record !== undefined && Object.hasOwn(record, name);
}

/** The value `record` itself holds under `name`, or undefined (never an inherited member). */
export function ownValue<V>(record: Readonly<Record<string, V>> | null | undefined, name: string): V | undefined {
  return record !== null && record !== undefined && Object.hasOwn(record, name) ? record[name] : undefined;
}

/** Sets an own, enumerable property, also for `__proto__` (a plain assignment would change the prototype). */
export function setOwn<V>(record: Record<string, V>, name: string, value: V): V {
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  return value;
}
