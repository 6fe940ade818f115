/**
 * A contract double of the GitHub REST endpoints the workflows call (docs.github.com/rest/issues/comments and
 * /labels): issue comments with real pagination (`per_page`, `page`, a `Link` header with rel="next"), create,
 * update, and labels; 401 without the expected bearer token, 404 for another repository or comment.
 * Binds 127.0.0.1 on a free port; the test that starts it stops it.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredComment {
  id: number;
  body: string;
  /** The author's login, answered as `user.login` (GitHub's issue-comment object). */
  user: string;
}

/** Who GitHub records as the author of a comment made with a workflow's GITHUB_TOKEN. */
export const ACTIONS_BOT = "github-actions[bot]";

export class GitHubRestDouble {
  comments: StoredComment[] = [];
  labels = new Set<string>();
  requests: string[] = [];
  private server?: Server;
  private nextId = 1000;
  url = "";

  constructor(
    readonly repository: string,
    readonly issue: number,
    readonly token: string,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body, headers }) => {
        res
          .writeHead(status, { "content-type": "application/json", ...headers })
          .end(body === undefined ? "" : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(
    req: IncomingMessage,
  ): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? "/", this.url);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return { status: 401, body: { message: "Bad credentials" } };
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
    const issueBase = `/repos/${this.repository}/issues/${this.issue}`;
    if (url.pathname === `${issueBase}/comments` && req.method === "GET") {
      const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 30), 100);
      const page = Number(url.searchParams.get("page") ?? 1);
      const slice = this.comments
        .slice((page - 1) * perPage, page * perPage)
        .map((c) => ({ id: c.id, body: c.body, user: { login: c.user, type: "User" } }));
      const headers: Record<string, string> = {};
      if (page * perPage < this.comments.length)
        headers.link = `<${this.url}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
      return { status: 200, body: slice, headers };
    }
    if (url.pathname === `${issueBase}/comments` && req.method === "POST") {
      if (typeof body?.body !== "string") return { status: 422, body: { message: "Validation Failed" } };
      if (body.body.length > 65_536)
        return { status: 422, body: { message: "Validation Failed: body is too long (maximum is 65536 characters)" } };
      const c = { id: this.nextId++, body: body.body, user: ACTIONS_BOT };
      this.comments.push(c);
      return { status: 201, body: { id: c.id, body: c.body, user: { login: c.user } } };
    }
    const edit = new RegExp(`^/repos/${this.repository}/issues/comments/(\\d+)$`).exec(url.pathname);
    if (edit && req.method === "PATCH") {
      const c = this.comments.find((x) => x.id === Number(edit[1]));
      if (!c) return { status: 404, body: { message: "Not Found" } };
      c.body = body.body;
      return { status: 200, body: { id: c.id, body: c.body, user: { login: c.user } } };
    }
    if (url.pathname === `${issueBase}/labels` && req.method === "POST") {
      for (const l of body.labels as string[]) this.labels.add(l);
      return { status: 200, body: [...this.labels].map((name) => ({ name })) };
    }
    if (url.pathname.startsWith(`${issueBase}/labels/`) && req.method === "DELETE") {
      const name = decodeURIComponent(url.pathname.slice(`${issueBase}/labels/`.length));
      if (!this.labels.delete(name)) return { status: 404, body: { message: "Label does not exist" } };
      return { status: 200, body: [...this.labels].map((n) => ({ name: n })) };
    }
    return { status: 404, body: { message: "Not Found" } };
  }
}
