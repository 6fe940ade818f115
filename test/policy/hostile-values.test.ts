/**
 * Issue 7, item 5 (Unicode part): lookalikes that become '/' or '..' under NFKC, and other non-ASCII text, in CDN
 * paths, requested ids and claim values filled into templates. Whatever a later layer does with them, the broker
 * refuses them with a precise reason and never normalizes them into a scope. Our own cases; the independent corpus
 * that found the hole stays independent.
 */
import { AccessRequestError, parseAccessRequests } from "../../lib/policy/runtime/access-request";
import { createEvaluator } from "../../lib/policy/runtime/evaluate";
import { expandTemplate, unsafeValueReason } from "../../lib/policy/runtime/template";
import { filesOnDisk } from "../../lib/policy/authoring/policy-files";
import { compileExample, diagnose } from "./helpers";

const NFKC_REASON =
  "contains a Unicode character that NFKC normalization changes (a lookalike such as a fullwidth '.' or '/')";
const ASCII_REASON = "contains a non-ASCII character; resource names are ASCII";

// [description, text, expected reason]
const LOOKALIKES: [string, string, string][] = [
  ["fullwidth solidus U+FF0F", "contoso\uff0fother", NFKC_REASON],
  ["fullwidth full stops U+FF0E", "\uff0e\uff0e", NFKC_REASON],
  ["fullwidth dot beside ASCII dot", "a.\uff0eb", NFKC_REASON],
  ["two-dot leader U+2025", "x\u2025y", NFKC_REASON],
  ["one-dot leader U+2024", "a\u2024", NFKC_REASON],
  ["fullwidth letters", "\uff43\uff4f\uff4e\uff54\uff4f\uff53\uff4f", NFKC_REASON],
  ["decomposed e + combining acute", "cafe\u0301", NFKC_REASON],
  ["division slash U+2215 (NFKC keeps it)", "a\u2215b", ASCII_REASON],
  ["precomposed é (NFKC keeps it)", "caf\u00e9", ASCII_REASON],
  ["Cyrillic о in contoso", "c\u043entoso", ASCII_REASON],
  ["zero-width space", "con\u200btoso", ASCII_REASON],
];

function rejection(body: unknown): AccessRequestError {
  try {
    parseAccessRequests(body);
  } catch (e) {
    if (e instanceof AccessRequestError) return e;
    throw e;
  }
  throw new Error("expected the request to be refused");
}

describe("issue 7.5 Unicode lookalikes", () => {
  it.each(LOOKALIKES)("a claim value with %s is refused with a precise reason", (_, text, reason) => {
    expect(unsafeValueReason(text)).toBe(reason);
    expect(expandTemplate(["/tenants/", { claim: "tid" }, "/"], { tid: text })).toEqual({ claim: "tid", reason });
  });

  it.each(LOOKALIKES)("a CDN path with %s is refused, without echoing it", (_, text, reason) => {
    const e = rejection({ requests: [{ type: "cdn", path: `/tenants/t1/${text}/a.png` }] });
    expect(e.pointer).toBe("/requests/0/path");
    expect(e.message).toBe(`/requests/0/path: must be ASCII: it ${reason}`);
    expect(e.message).not.toContain(text);
  });

  it.each(LOOKALIKES)("a requested document id or partition key with %s is refused", (_, text, reason) => {
    expect(rejection({ requests: [{ type: "fluid", documentId: `t1-${text}` }] }).message).toBe(
      `/requests/0/documentId: is not allowed: it ${reason}`,
    );
    expect(rejection({ requests: [{ type: "cosmos", container: "documents", partitionKey: text }] }).pointer).toBe(
      "/requests/0/partitionKey",
    );
  });

  it("a path that NFKC would turn into a traversal out of the caller's prefix is refused before evaluation", () => {
    // NFKC("/tenants/<tid>/\uff0e\uff0e\uff0fother/x") is "/tenants/<tid>/../other/x".
    const path = "/tenants/6a1b2c3d-0000-4000-8000-00000000d001/\uff0e\uff0e\uff0fother/x.png";
    expect(path.normalize("NFKC")).toBe("/tenants/6a1b2c3d-0000-4000-8000-00000000d001/../other/x.png");
    expect(rejection({ requests: [{ type: "cdn", path }] }).message).toContain(NFKC_REASON);
  });

  it("a caller whose tid holds a lookalike gets no tenant credential (claim-unusable), in the example policy", () => {
    const ev = createEvaluator(compileExample("dev").config);
    const claims = {
      oid: "0b5e3a10-0000-4000-8000-0000000000e1",
      tid: "contoso\uff0f\uff0e\uff0e",
      roles: ["Docs.Reader"],
    };
    const d = ev.evaluate({ issuer: "entra", claims }, [
      { type: "cdn", path: "/tenants/contoso/a.png" },
      { type: "cosmos", container: "documents" },
    ]);
    expect(d.credentials).toEqual([]);
    expect(d.denied.map((x) => x.reason)).toEqual(["claim-unusable", "claim-unusable"]);
    expect(d.denied[0].message).toContain("NFKC");
    expect(JSON.stringify(d)).not.toContain("contoso\uff0f");
  });

  it("a policy whose own CDN prefix holds fullwidth dots is refused by policy check", () => {
    const found = diagnose(filesOnDisk(`${__dirname}/broken/cdn-prefix-with-fullwidth-dots.yaml`));
    expect(found.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ["E_TEMPLATE", 32, 48, `prefix ${NFKC_REASON}`],
    ]);
  });

  it("plain ASCII paths and values still pass", () => {
    expect(parseAccessRequests({ requests: [{ type: "cdn", path: "/tenants/t1/logo.v2.png" }] })).toHaveLength(1);
    expect(unsafeValueReason("6a1b2c3d-0000-4000-8000-00000000d001")).toBeUndefined();
  });
});
