/**
 * The few GitHub REST calls the workflows make, over plain fetch (no Octokit): find the comment carrying a hidden
 * marker and edit it, or create it; add or remove a label. Endpoints (docs.github.com/rest/issues):
 *   GET    /repos/{owner}/{repo}/issues/{n}/comments?per_page=100   (paginated; `Link: <...>; rel="next"`)
 *   POST   /repos/{owner}/{repo}/issues/{n}/comments                 {body}
 *   PATCH  /repos/{owner}/{repo}/issues/comments/{comment_id}        {body}
 *   POST   /repos/{owner}/{repo}/issues/{n}/labels                   {labels: [...]}
 *   DELETE /repos/{owner}/{repo}/issues/{n}/labels/{name}            (404 when absent: fine)
 * A pull request is an issue for comments and labels. The token is the workflow's GITHUB_TOKEN; it is sent only to
 * GITHUB_API_URL and never printed.
 * The comment to edit must carry the marker AND be written by the workflow's own identity: anyone can paste the
 * marker into a comment, and a comment they wrote they can edit afterwards, so a verdict the bot wrote into it could
 * be rewritten by its author. Comments made with a GITHUB_TOKEN are authored by `github-actions[bot]`
 * (docs.github.com/actions/security-for-github-actions/security-guides/automatic-token-authentication).
 */

export interface GitHubTarget {
  apiUrl: string;
  token: string;
  repository: string; // owner/name
  issue: number;
}

/** The author of comments made with a workflow's GITHUB_TOKEN. */
export const ACTIONS_BOT_LOGIN = "github-actions[bot]";

export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(`GitHub API ${what} answered ${status}`);
  }
}

const MAX_PAGES = 50;

async function call(t: GitHubTarget, method: string, url: string, body?: unknown): Promise<Response> {
  const res = await fetch(url.startsWith("http") ? url : `${t.apiUrl.replace(/\/$/, "")}${url}`, {
    method,
    headers: {
      accept: "application/vnd.github+json",
      authorization: `Bearer ${t.token}`,
      "x-github-api-version": "2022-11-28",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res;
}

function nextLink(header: string | null): string | undefined {
  return header
    ?.split(",")
    .map((p) => /<([^>]+)>;\s*rel="next"/.exec(p)?.[1])
    .find(Boolean);
}

/**
 * Creates the comment, or edits the existing one that contains `marker` and was written by `author`. Returns what
 * happened and its id.
 */
export async function upsertComment(
  t: GitHubTarget,
  marker: string,
  body: string,
  author = ACTIONS_BOT_LOGIN,
): Promise<{ action: "created" | "updated"; id: number }> {
  if (!body.includes(marker)) body = `${marker}\n${body}`;
  const base = `/repos/${t.repository}/issues/${t.issue}`;
  let url: string | undefined = `${base}/comments?per_page=100`;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const res = await call(t, "GET", url);
    if (!res.ok) throw new GitHubApiError(res.status, "list comments");
    const comments = (await res.json()) as { id: number; body?: string; user?: { login?: string } | null }[];
    const mine = comments.find((c) => c.user?.login === author && c.body?.includes(marker));
    if (mine) {
      const upd = await call(t, "PATCH", `/repos/${t.repository}/issues/comments/${mine.id}`, { body });
      if (!upd.ok) throw new GitHubApiError(upd.status, "update comment");
      return { action: "updated", id: mine.id };
    }
    url = nextLink(res.headers.get("link"));
  }
  const created = await call(t, "POST", `${base}/comments`, { body });
  if (!created.ok) throw new GitHubApiError(created.status, "create comment");
  return { action: "created", id: ((await created.json()) as { id: number }).id };
}

export async function setLabel(t: GitHubTarget, label: string, present: boolean): Promise<void> {
  const base = `/repos/${t.repository}/issues/${t.issue}/labels`;
  const res = present
    ? await call(t, "POST", base, { labels: [label] })
    : await call(t, "DELETE", `${base}/${encodeURIComponent(label)}`);
  if (!res.ok && !(res.status === 404 && !present))
    throw new GitHubApiError(res.status, present ? "add label" : "remove label");
}
