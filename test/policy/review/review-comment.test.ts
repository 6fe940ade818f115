/** The pull-request comment rendered for fixture policy pairs: the verdict and the lines a reviewer must see. */
import { loadSide } from "../../../lib/policy/review/compare";
import { reviewPolicies, type Review } from "../../../lib/policy/review/review";
import { REVIEW_MARKER } from "../../../lib/policy/review/review-comment";
import { addRoles, policyPair, replaceOnce, type PolicyPair } from "./fixture-pairs";

const pairs: PolicyPair[] = [];
afterAll(() => pairs.forEach((p) => p.remove()));

function review(edit: (policy: string) => string, options: { budget?: number; withTests?: boolean } = {}): Review {
  const pair = policyPair(edit, options.withTests ?? true);
  pairs.push(pair);
  return reviewPolicies(loadSide(pair.base), loadSide(pair.head), { budget: options.budget });
}

/** The block of one environment group, from its heading to the next. */
function environmentBlock(md: string, heading: string): string {
  const at = md.indexOf(heading);
  if (at === -1) throw new Error(`no '${heading}' in:\n${md}`);
  const next = md.indexOf("\n### ", at + 1);
  return md.slice(at, next === -1 ? undefined : next);
}

const READER_DOCS = 'cosmos: { container: documents, partitionKey: "${claims.tid}", access: read, ttl: 1h }';

describe("policy review comment", () => {
  it("an added role widens, names who gets it and what, and marks the gain", () => {
    const r = review((p) =>
      addRoles(
        p,
        "  auditor:\n    when: { claim: roles, contains: Docs.Auditor }\n    grants:\n      - cdn: { prefix: /public/, ttl: 1h }\n",
      ),
    );
    expect(r.verdict).toBe("widens");
    expect(
      r.markdown.startsWith(`${REVIEW_MARKER}\n## 🔺 Access policy review: **widens** access in 4 environment(s)`),
    ).toBe(true);
    expect(r.markdown).toContain("<summary>role auditor: 🔺");
    expect(r.markdown).toContain('🔺 **widens**: **new role** for callers where roles contains "Docs.Auditor"');
    expect(r.markdown).toContain("🔺 **widens**: gains CDN `/public/`: 1h");
    expect(r.checksPassed).toBe(true);
  });

  it("a removed role narrows and lists what its holders lose", () => {
    const r = review((p) =>
      replaceOnce(p, "  support:\n", "  supportgone:\n").replace(/ {2}supportgone:[\s\S]*?(?=\ncosmosRbac:)/, ""),
    );
    expect(r.verdict).toBe("narrows");
    expect(r.markdown).toContain("## 🔽 Access policy review: narrows access in 1 environment(s), widens none");
    const prod = environmentBlock(r.markdown, "### Environment `prod`");
    expect(prod).toContain("🔽 narrows: **role removed**");
    expect(prod).toContain("🔽 narrows: loses Cosmos `documents` (every partition): was read, 30m");
    expect(r.markdown).not.toContain("🔺");
  });

  it("a partition template widened to the whole container is a widening on documents", () => {
    const r = review((p) => replaceOnce(p, READER_DOCS, "cosmos: { container: documents, access: read, ttl: 1h }"), {
      withTests: false,
    });
    expect(r.verdict).toBe("widens");
    expect(r.markdown).toMatch(/<summary>role reader: 🔺 \d+ widening/);
    expect(r.markdown).toMatch(/🔺 \*\*widens\*\*: .*documents.*(every partition|whole container)/);
  });

  it("a narrowed CDN path narrows and reports no gain", () => {
    const r = review(
      (p) =>
        replaceOnce(
          p,
          'prefix: "/tenants/${claims.tid}/", ttl: 15m',
          'prefix: "/tenants/${claims.tid}/docs/", ttl: 15m',
        ),
      { withTests: false },
    );
    expect(r.verdict).toBe("narrows");
    expect(r.markdown).toContain("<summary>role reader: 🔽");
    expect(r.markdown).toContain("/tenants/${claims.tid}/");
    expect(r.markdown).not.toContain("🔺 **widens**");
  });

  it("a longer TTL widens and a shorter one narrows, both listed under TTL changes", () => {
    const up = review((p) =>
      replaceOnce(p, "- cdn: { prefix: /public/, ttl: 1h }", "- cdn: { prefix: /public/, ttl: 2h }"),
    );
    expect(up.verdict).toBe("widens");
    expect(up.markdown).toContain("#### TTL changes");
    expect(up.markdown).toContain("- role reader: 🔺 **widens**: CDN `/public/`: 1h → 2h");
    expect(up.markdown).not.toContain("<summary>role reader"); // a TTL-only change is listed once, under TTL changes
    const down = review(
      (p) =>
        replaceOnce(p, 'prefix: "/tenants/${claims.tid}/", ttl: 15m', 'prefix: "/tenants/${claims.tid}/", ttl: 5m'),
      { withTests: false },
    );
    expect(down.verdict).toBe("narrows");
    expect(down.markdown).toContain("- role reader: 🔽 narrows: CDN `/tenants/${claims.tid}/`: 15m → 5m");
    expect(down.markdown).toMatch(/\| `local`, `dev`, `prod`, `pr-\*` \| \d+ \| 0 \| 0 \| 0 \/ \d+ \| 0 \| 0 \|/);
  });

  it("a newly allowed country is an edge-rule widening", () => {
    const r = review((p) => replaceOnce(p, "countries: { deny: [KP, IR] }", "countries: { deny: [KP] }"));
    expect(r.verdict).toBe("widens");
    expect(r.markdown).toContain("#### Edge rules (Front Door / WAF)");
    expect(r.markdown).toContain("- CDN edge /tenants/: 🔺 **widens**: countries no longer denied: IR");
    expect(r.markdown).toContain("| `local`, `dev`, `prod`, `pr-*` | 0 | 0 | 0 | 0 / 0 | 1 | 0 |");
  });

  it("a production-only grant leaking into pr-* environments widens there, not in prod", () => {
    const r = review((p) => replaceOnce(p, "    stages: [production]\n", ""));
    expect(r.verdict).toBe("widens");
    const leaked = environmentBlock(r.markdown, "### Environments `dev`, `pr-*`");
    expect(leaked).toContain("<summary>role support: 🔺");
    expect(leaked).toContain("**new role**");
    expect(r.markdown).not.toContain("### Environment `prod`");
  });

  it("a 200-role change stays under GitHub's comment limit, collapsed, widening roles first", () => {
    const roles = Array.from(
      { length: 200 },
      (_, i) =>
        `  bulk${i}:\n    when: { claim: roles, contains: Bulk.R${i} }\n    grants:\n      - cdn: { prefix: /public/, ttl: 1h }\n`,
    );
    const r = review((p) => addRoles(p, roles.join("")));
    expect(r.verdict).toBe("widens");
    expect(r.markdown.length).toBeLessThanOrEqual(65_536);
    expect(r.markdown).toContain("| `local`, `dev`, `prod`, `pr-*` | 200 | 🔺 400 | 0 |");
    expect(r.markdown).not.toContain("<details open>");
    expect((r.markdown.match(/<details>/g) ?? []).length).toBeGreaterThan(100);
  });

  it("cuts to the size budget and says how many sections, and how many widening, were left out", () => {
    const roles = Array.from(
      { length: 50 },
      (_, i) =>
        `  bulk${i}:\n    when: { claim: roles, contains: Bulk.R${i} }\n    grants:\n      - cdn: { prefix: /public/, ttl: 1h }\n`,
    );
    const r = review((p) => addRoles(p, roles.join("")), { budget: 6_000 });
    expect(r.markdown.length).toBeLessThanOrEqual(6_000);
    expect(r.markdown).toMatch(/✂️ \d+ more section\(s\) not shown \(\d+ of them widen\)/);
    expect(r.markdown).toContain("| `local`, `dev`, `prod`, `pr-*` | 50 |");
  });

  it("an unchanged policy says so in one line and passes", () => {
    const r = review((p) => p.replace("# Replace it with your own.", "# Replace it with yours."));
    expect(r.verdict).toBe("unchanged");
    expect(r.markdown).toContain("## ✅ Access policy review: unchanged, no one gains or loses access");
    expect(r.markdown).not.toContain("| Environments |");
  });

  it("a head that fails check cannot be compared and fails the review with the position", () => {
    const r = review((p) =>
      replaceOnce(
        p,
        "access: read, ttl: 1h }\n      - cosmos: { container: profiles",
        "access: reed, ttl: 1h }\n      - cosmos: { container: profiles",
      ),
    );
    expect(r.checksPassed).toBe(false);
    expect(r.markdown).toContain("## ❌ Access policy review: cannot compare, the head");
    expect(r.markdown).toMatch(/policy\.yaml:\d+:\d+/);
  });

  it("a failing policy test fails the review and is listed", () => {
    const r = review((p) => replaceOnce(p, READER_DOCS, READER_DOCS.replace("ttl: 1h", "ttl: 30m")));
    expect(r.checksPassed).toBe(false);
    expect(r.markdown).toContain(
      "## 🔽 Access policy review: narrows access in 4 environment(s), widens none · ❌ policy tests fail",
    );
    expect(r.markdown).toContain("<details><summary><b>Failing policy tests</b> (4)</summary>");
    expect(r.markdown).toMatch(/tests: ✘ \d+ failed/);
  });
});
