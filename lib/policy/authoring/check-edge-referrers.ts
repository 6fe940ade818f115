/**
 * CDN referrer allow rules against each environment's allowedOrigins (lib/policy/authoring/edge-referrers.ts):
 * - a literal allow list that no page of an allowed origin can match refuses the app's own CDN fetches
 *   (W_EDGE_REFERRER_ORIGIN); `allow: origins` derives the list from allowedOrigins and cannot drift;
 * - `allow: origins` in an environment that allows no origin would refuse every request (an error);
 * - an allow list refuses every client that sends no Referer, such as a mobile app: the policy must say so with
 *   `withoutReferer: refuse` (W_EDGE_REFERRER_REQUIRED until it does). A deny list refuses nobody for a missing
 *   Referer, so `withoutReferer` there is an error.
 */
import type { Checker } from "./checker";
import { referrerMatchesOrigin } from "./edge-referrers";
import type { ResolvedEnvironment } from "./environments";
import type { PolicyDocument } from "./source-types";

export function checkEdgeReferrers(doc: PolicyDocument, envs: ResolvedEnvironment[], c: Checker): void {
  for (const [prefix, p] of Object.entries(doc.resources?.cdn?.prefixes ?? {})) {
    const rule = p.edge?.referrers;
    if (!rule) continue;
    const at = ["resources", "cdn", "prefixes", prefix, "edge", "referrers"];
    if (rule.withoutReferer !== undefined && !rule.allow) {
      c.report(
        "E_EDGE_REFERRER",
        [...at, "withoutReferer"],
        `withoutReferer on '${prefix}' has no allow list to go with`,
        "a deny list refuses nobody for a missing Referer; remove `withoutReferer:`",
        { key: true },
      );
    }
    if (!rule.allow) continue;
    if (rule.withoutReferer === undefined) {
      c.report(
        "W_EDGE_REFERRER_REQUIRED",
        [...at, "allow"],
        `the referrer allow list on '${prefix}' refuses every request without a Referer: mobile apps and pages ` +
          "with Referrer-Policy: no-referrer get the denial status, whatever their credential",
        "add `withoutReferer: refuse` to say that is intended, or drop the allow list (countries and the signed " +
          "URL still apply)",
        { key: true, severity: "warning" },
      );
    }
    for (const env of envs) {
      if (rule.allow === "origins") {
        if (env.allowedOrigins.length === 0)
          c.report(
            "E_EDGE_REFERRER",
            [...at, "allow"],
            `'${prefix}' allows the referrers of allowedOrigins, but environment '${env.entry}' allows no origin: ` +
              "every request would be refused",
            `add the app's origins to environments.${env.entry}.allowedOrigins, or list referrers explicitly`,
          );
        continue;
      }
      const list = rule.allow;
      const unmatched = env.allowedOrigins.filter((o) => !list.some((r) => referrerMatchesOrigin(r, o)));
      if (unmatched.length === 0) continue;
      c.report(
        "W_EDGE_REFERRER_ORIGIN",
        [...at, "allow"],
        `in environment '${env.entry}', pages of ${unmatched.join(", ")} send a Referer no allow rule of ` +
          `'${prefix}' matches: the WAF refuses their CDN requests`,
        "use `allow: origins` (derived from allowedOrigins per environment), or list `<origin>/` for each origin; " +
          "a browser sends only the origin to another site, so a prefix with a path never matches",
        { severity: "warning" },
      );
    }
  }
}
