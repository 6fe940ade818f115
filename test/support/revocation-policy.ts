/** A small policy with revocation on, shared by the revocation, CLI and multi-instance tests. */
export const revocationPolicy = (issuer: string, onStoreDown = "deny", rateLimit = "") => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256]
    claims: { sub: { type: string }, tid: { type: string, pattern: "[a-z0-9]{1,40}" }, roles: { type: "string[]" } }
resources:
  fluid: {}
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read], ttl: 10m }
      - cosmos: { container: items, partitionKey: "\${claims.tid}", access: read, ttl: 1h }
  responder:
    when: { claim: roles, contains: incident-responder }
revocation:
  adminRoles: [responder]
  onStoreDown: ${onStoreDown}
  maxTokenLifetime: 1h
${rateLimit}
environments: { dev: { stage: development } }
`;
