/** Every Object.prototype member name, and every name position of the policy language as an edit (issue 19.2). */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), "__proto__"])];
export const BASE = readFileSync(join(__dirname, "fixtures", "minimal.yaml"), "utf8");

export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at === -1 || text.indexOf(from, at + 1) !== -1) throw new Error(`expected exactly one '${from}' in the fixture`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}
const beforeEnvironments = (text: string, yaml: string) =>
  replaceOnce(text, "\nenvironments:", `\n${yaml}\nenvironments:`);

/** Every name position of the policy and environments language, as an edit of the minimal policy. */
export const POSITIONS: Record<string, (n: string, t?: string) => string> = {
  "issuer name": (n, t = BASE) => replaceOnce(t, "  corp:\n", `  ${n}:\n`),
  "claim declaration": (n, t = BASE) => replaceOnce(t, "      name: { type: string }", `      ${n}: { type: string }`),
  "condition claim:": (n, t = BASE) =>
    replaceOnce(t, "{ claim: roles, contains: reader }", `{ claim: ${n}, exists: true }`),
  "condition claim: inside all/not": (n, t = BASE) =>
    replaceOnce(
      t,
      "{ claim: roles, contains: reader }",
      `{ all: [{ claim: roles, contains: reader }, { not: { claim: ${n}, equals: x } }] }`,
    ),
  "${claims.x} in a partition key": (n, t = BASE) =>
    replaceOnce(t, 'partitionKey: "${claims.tid}"', `partitionKey: "\${claims.${n}}"`),
  "${env.x} in a partition key": (n, t = BASE) =>
    replaceOnce(t, 'partitionKey: "${claims.tid}"', `partitionKey: "\${env.${n}}"`),
  "${env.x} in a CDN prefix": (n, t = BASE) => replaceOnce(t, '"/tenants/${claims.tid}/"', `"/tenants/\${env.${n}}/"`),
  "${env.x} in a condition value": (n, t = BASE) => replaceOnce(t, "contains: reader", `contains: "\${env.${n}}"`),
  "${env.x} in an issuer URL": (n, t = BASE) =>
    replaceOnce(t, "issuer: https://login.example.com", `issuer: "https://login.example.com/\${env.${n}}"`),
  "${request.x} in documents": (n, t = BASE) => replaceOnce(t, '"${claims.tid}-*"', `"\${request.${n}}-*"`),
  "role name": (n, t = BASE) => replaceOnce(t, "  reader:\n", `  ${n}:\n`),
  inherits: (n, t = BASE) =>
    beforeEnvironments(t, `  writer:\n    when: { claim: roles, contains: writer }\n    inherits: [${n}]`),
  "role issuers": (n, t = BASE) => replaceOnce(t, "  reader:\n", `  reader:\n    issuers: [${n}]\n`),
  "container name": (n, t = BASE) =>
    replaceOnce(t, "documents: { partitionKey: /tenantId }", `${n}: { partitionKey: /tenantId }`),
  "grant container": (n, t = BASE) => replaceOnce(t, "container: documents", `container: ${n}`),
  "environment name": (n, t = BASE) => replaceOnce(t, "  dev: { stage: development", `  ${n}: { stage: development`),
  "environment value name": (n, t = BASE) =>
    replaceOnce(t, "dev: { stage: development, values: { groupId:", `dev: { stage: development, values: { ${n}:`),
  "issuer subject": (n, t = BASE) =>
    replaceOnce(t, "    audiences: [api://docs]\n", `    audiences: [api://docs]\n    subject: ${n}\n`),
  "issuer requiredClaims": (n, t = BASE) =>
    replaceOnce(t, "    audiences: [api://docs]\n", `    audiences: [api://docs]\n    requiredClaims: [${n}]\n`),
  "issuer environments": (n, t = BASE) =>
    replaceOnce(t, "    audiences: [api://docs]\n", `    audiences: [api://docs]\n    environments: [${n}]\n`),
  "cosmosRbac entry": (n, t = BASE) =>
    replaceOnce(
      t,
      "\nenvironments:",
      `\ncosmosRbac:\n  ${n}: { principal: 0b5e3a10-0000-4000-8000-000000000001, principalType: group, role: reader, scope: database }\nenvironments:`,
    ),
  "revocation adminRoles": (n, t = BASE) =>
    replaceOnce(t, "\nenvironments:", `\nrevocation: { adminRoles: [${n}] }\nenvironments:`),
};
