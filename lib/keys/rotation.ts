/**
 * Key rotation with zero downtime, the dual-credential pattern of Key Vault's tutorial "Automate the rotation of a
 * secret for resources that have two sets of authentication credentials"
 * (learn.microsoft.com/azure/key-vault/secrets/tutorial-rotation-dual): the key not in use is regenerated and stored,
 * the broker switches to it, and the other key is regenerated only once nothing can still use it.
 *
 * "Nothing can still use it" is a time bound, the hold: a broker reads its keys at most `brokerMaxAgeMs` before it
 * signs (functions-src/keys/rotated-key-source.ts), and a credential minted just before the broker learned of the
 * switch lives at most the backend's longest lifetime (Fluid 1 h, Cosmos resource tokens 5 h). So a key is regenerated
 * only `hold = brokerMaxAgeMs + longest credential lifetime + clock skew` after the broker stopped using it, and the
 * same bound guards the first step: the inactive key is regenerated only `hold` after the last switch away from it.
 *
 * A full rotation spans hours, so it is a resumable state machine kept in the key document itself (pending step and
 * times, no extra store): each run advances it as far as time allows and says when to come back. The schedule
 * (.github/workflows/key-rotation.yml) runs it hourly; `token-broker keys rotate` starts one on demand.
 * Every step is one audit record; the document is written once per step, so a broker never reads half a step.
 */
import { KEY_DOCUMENT_FORMAT, KEY_SECRET, otherSlot, type KeySlot } from "../../functions-src/keys/key-document";
import { DEFAULT_KEY_MAX_AGE_MS } from "../../functions-src/keys/rotated-key-source";
import type { KeyRotationAuditRecord } from "../../functions-src/audit";
import { COSMOS_MAX_TTL_SECONDS, FLUID_MAX_TTL_SECONDS } from "../policy/runtime/limits";
import type { KeyDocumentStore, TwoKeyResource } from "./two-key-resource";

/** Clocks of the rotation runner, the broker and the services may disagree this much. */
export const ROTATION_CLOCK_SKEW_MS = 5 * 60_000;

/** The hold for a resource in Azure: the broker's key bound + the backend's longest credential + skew. */
export function holdFor(resource: TwoKeyResource["resource"]): number {
  const ttl = resource === "cosmos" ? COSMOS_MAX_TTL_SECONDS : FLUID_MAX_TTL_SECONDS;
  return DEFAULT_KEY_MAX_AGE_MS + ttl * 1000 + ROTATION_CLOCK_SKEW_MS;
}

export interface AdvanceOptions {
  /** Start a rotation now (on demand); without it, one starts when `everyMs` has passed since the last. */
  start?: boolean;
  /** The schedule's interval between rotations; absent: only on demand. */
  everyMs?: number;
  /** @default holdFor(resource) */
  holdMs?: number;
  now?: () => number;
  audit: (record: KeyRotationAuditRecord) => void;
  /** Who runs it: "cli:<user>", "schedule:<workflow run>". */
  by: string;
}

export type RotationState =
  | { state: "idle"; active: KeySlot }
  | { state: "waiting"; until: string; next: "start" | "regenerate"; active: KeySlot }
  | { state: "switched"; until: string; active: KeySlot }
  | { state: "completed"; active: KeySlot };

export class RotationError extends Error {
  constructor(
    readonly resource: string,
    message: string,
  ) {
    super(`${resource} key rotation: ${message}`);
    this.name = "RotationError";
  }
}

/** One step (or none, when the next is not due): reads the document, acts, writes it back, audits. */
export async function advanceRotation(
  resource: TwoKeyResource,
  store: KeyDocumentStore,
  options: AdvanceOptions,
): Promise<RotationState> {
  const now = options.now ?? Date.now;
  const hold = options.holdMs ?? holdFor(resource.resource);
  const name = KEY_SECRET[resource.resource];
  const iso = (ms: number) => new Date(ms).toISOString();
  const audit = (step: KeyRotationAuditRecord["step"], extra: Partial<KeyRotationAuditRecord> = {}) =>
    options.audit({
      event: "key-rotation",
      at: iso(now()),
      resource: resource.resource,
      step,
      by: options.by,
      ...extra,
    });

  try {
    let doc = await store.read(name);
    const keys = await resource.listKeys();
    if (!doc) {
      // First run: adopt the keys as they are. Either may be in use (the broker signed with key1 before, anything
      // else may hold key2), so the first regeneration waits a full hold like any other.
      doc = {
        format: KEY_DOCUMENT_FORMAT,
        active: "key1",
        key1: keys.key1,
        key2: keys.key2,
        switchedAt: iso(now()),
        regeneratedAt: {},
        ...(options.start && { requestedAt: iso(now()) }),
      };
      await store.write(name, doc);
      audit("initialized", { slot: doc.active });
      if (options.start) audit("requested", { slot: otherSlot(doc.active) });
    } else if (keys.key1 !== doc.key1 || keys.key2 !== doc.key2) {
      // Someone regenerated a key outside the rotation (the portal): the vault must follow the service at once, or the
      // broker keeps signing with a dead key. The switch time restarts: the other key's users are unknown.
      const active = keys[doc.active] === doc[doc.active] ? doc.active : otherSlot(doc.active);
      doc = { ...doc, key1: keys.key1, key2: keys.key2, active, switchedAt: iso(now()), pending: undefined };
      await store.write(name, doc);
      audit("drift", { slot: active, reason: "a key differs from the vault's copy: adopted the service's keys" });
    }

    if (doc.pending) {
      const after = Date.parse(doc.pending.after);
      if (now() < after) {
        audit("waiting", { slot: doc.pending.regenerate, until: doc.pending.after });
        return { state: "waiting", until: doc.pending.after, next: "regenerate", active: doc.active };
      }
      const slot = doc.pending.regenerate;
      const fresh = await regenerate(resource, slot, doc[slot]);
      doc = { ...doc, [slot]: fresh, pending: undefined, regeneratedAt: { ...doc.regeneratedAt, [slot]: iso(now()) } };
      await store.write(name, doc);
      audit("regenerated", { slot });
      audit("completed", { slot: doc.active });
      return { state: "completed", active: doc.active };
    }

    const due =
      options.start === true ||
      doc.requestedAt !== undefined ||
      (options.everyMs !== undefined &&
        (doc.rotationStartedAt === undefined || now() - Date.parse(doc.rotationStartedAt) >= options.everyMs));
    if (!due) return { state: "idle", active: doc.active };

    const inactive = otherSlot(doc.active);
    const notBefore = Date.parse(doc.switchedAt) + hold;
    if (now() < notBefore) {
      // The inactive key was active until switchedAt: credentials minted with it may still be alive.
      if (!doc.requestedAt) {
        doc = { ...doc, requestedAt: iso(now()) };
        await store.write(name, doc);
        audit("requested", { slot: inactive });
      }
      audit("waiting", { slot: inactive, until: iso(notBefore) });
      return { state: "waiting", until: iso(notBefore), next: "start", active: doc.active };
    }
    const fresh = await regenerate(resource, inactive, doc[inactive]);
    audit("regenerated", { slot: inactive });
    const switchedAt = now();
    const { requestedAt, ...rest } = doc;
    void requestedAt;
    doc = {
      ...rest,
      [inactive]: fresh,
      active: inactive,
      switchedAt: iso(switchedAt),
      pending: { regenerate: doc.active, after: iso(switchedAt + hold) },
      rotationStartedAt: iso(switchedAt),
      regeneratedAt: { ...doc.regeneratedAt, [inactive]: iso(switchedAt) },
    };
    await store.write(name, doc);
    audit("switched", { slot: inactive, until: doc.pending!.after });
    return { state: "switched", until: doc.pending!.after, active: inactive };
  } catch (e) {
    // The message names the step's resource and status, never a key (backends never put one in an error).
    audit("failed", { reason: e instanceof Error ? e.message : String(e) });
    throw e instanceof RotationError
      ? e
      : new RotationError(resource.resource, e instanceof Error ? e.message : String(e));
  }
}

async function regenerate(resource: TwoKeyResource, slot: KeySlot, old: string): Promise<string> {
  await resource.regenerateKey(slot);
  const fresh = (await resource.listKeys())[slot];
  if (!fresh || fresh === old)
    throw new RotationError(resource.resource, `${slot} is unchanged after regenerateKey; nothing was switched`);
  await resource.verifyKey?.(slot, fresh);
  return fresh;
}

/**
 * Advances until the rotation completes (or `deadlineMs` passes), sleeping until each wait ends: for local runs and
 * tests with short holds, or an operator who keeps a terminal open. The schedule calls advanceRotation instead.
 */
export async function rotateToCompletion(
  resource: TwoKeyResource,
  store: KeyDocumentStore,
  options: AdvanceOptions & { sleep?: (ms: number) => Promise<void>; deadlineMs?: number },
): Promise<RotationState> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = now() + (options.deadlineMs ?? Infinity);
  let state = await advanceRotation(resource, store, { ...options, start: true });
  while (state.state !== "completed") {
    if (state.state === "idle") state = await advanceRotation(resource, store, { ...options, start: true });
    else {
      const wait = Date.parse(state.until) - now();
      if (now() + Math.max(wait, 0) > deadline)
        throw new RotationError(resource.resource, `not completed before the deadline; next step at ${state.until}`);
      if (wait > 0) await sleep(wait);
      state = await advanceRotation(resource, store, { ...options, start: false });
    }
  }
  return state;
}
