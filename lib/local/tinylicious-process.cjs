// Tinylicious (the local Fluid service) for tests, with a REAL token check. Tinylicious checks documentId, tenantId
// and scopes but its TenantManager.verifyToken is a no-op (tinylicious/dist/services/tenantManager.js); here it
// verifies the HS256 signature with the tenant's key1 or key2, and the expiry, as Azure Fluid Relay does; and it
// creates containers as routerlicious does: single-use creation token, service-assigned id, signed creation receipt.
// Env: PORT, TB_FLUID_KEYS = {"<tenant>":["k1","k2"]}, or TB_FLUID_KEYS_FILE: a file with that JSON, read again
// whenever it changes, so a key can be regenerated while the service runs (as Fluid Relay's regenerateKey does).
// Binds 127.0.0.1 only.
"use strict";
const crypto = require("node:crypto");
const net = require("node:net");

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && (args.length === 1 || typeof args[1] === "function"))
    return listen.call(this, args[0], "127.0.0.1", ...args.slice(1));
  return listen.apply(this, args);
};

const fs = require("node:fs");
const keysFile = process.env.TB_FLUID_KEYS_FILE;
let keys = JSON.parse(process.env.TB_FLUID_KEYS || "{}");
let keysStamp = "";
/** The tenant keys now: from the keys file when one is given (re-read when its size or mtime changes). */
function currentKeys() {
  if (!keysFile) return keys;
  const stat = fs.statSync(keysFile, { bigint: true });
  const stamp = `${stat.mtimeNs}:${stat.size}:${stat.ino}`;
  if (stamp !== keysStamp) {
    keys = JSON.parse(fs.readFileSync(keysFile, "utf8"));
    keysStamp = stamp;
  }
  return keys;
}
const { TenantManager } = require("tinylicious/dist/services/tenantManager");
const { NetworkError } = require("@fluidframework/server-services-client");
/** The claims of a token signed with the tenant's key1 or key2 and not expired; a NetworkError otherwise. */
function verifiedClaims(tenantId, token) {
  // As routerlicious answers (server-services-client validateTokenClaimsExpiration): 401 for an expired token, so
  // a client's driver fetches a fresh one; 403 for anything else. A plain Error would surface as a 500.
  const fail = (why) => {
    throw new NetworkError(why === "expired" ? 401 : 403, `token rejected: ${why}`);
  };
  const parts = String(token).split(".");
  if (parts.length !== 3) fail("malformed");
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    fail("malformed");
  }
  if (header.alg !== "HS256") fail("algorithm");
  const signed = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2], "base64url");
  const all = currentKeys();
  const tenantKeys = Object.hasOwn(all, tenantId) ? all[tenantId] : [];
  const ok = tenantKeys.some((k) => {
    const expected = crypto.createHmac("sha256", Buffer.from(k, "utf8")).update(signed).digest();
    return expected.length === given.length && crypto.timingSafeEqual(expected, given);
  });
  if (!ok) fail("signature");
  const now = Math.floor(Date.now() / 1000);
  if (claims.tenantId !== tenantId) fail("tenant");
  if (typeof claims.exp !== "number" || claims.exp <= now) fail("expired");
  if (typeof claims.iat !== "number" || claims.iat > now + 60) fail("issued in the future");
  return claims;
}

TenantManager.prototype.verifyToken = async function verifyToken(tenantId, token) {
  verifiedClaims(tenantId, token);
};

// Container creation as routerlicious' alfred does it and tinylicious does not (tinylicious 7.0.1
// dist/routes/ordering/documents.js checks no token and answers the id only). Sources: FluidFramework
// server/routerlicious/packages/routerlicious-base/src/alfred/routes/api/documents.ts (POST /:tenantId: verifyStorageToken
// with requireDocumentId false and ensureSingleUseToken true; with `generateToken` and a `Basic <jwt>` Authorization
// header it answers 201 {id, token}), and @fluidframework/server-services-utils 7.0.1 dist/auth.js getCreationToken
// (tenantManager.signToken(tenantId, documentId, [] scopes, the creation token's user, 300 s, its ver, its jti)).
// The id is always assigned here, as Azure Fluid Relay assigns container ids ("Validate a user who created a
// container"); alfred only does so with enforceServerGeneratedDocumentId.
const CREATION_RECEIPT_SECONDS = 5 * 60;
const usedCreationTokens = new Map(); // token -> its exp (unix seconds): single use, as ensureSingleUseToken does

function signReceipt(tenantId, documentId, creation) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    documentId,
    scopes: [],
    tenantId,
    user: creation.user,
    iat: now,
    exp: now + CREATION_RECEIPT_SECONDS,
    ver: creation.ver,
    jti: creation.jti,
  };
  const enc = (v) => Buffer.from(JSON.stringify(v), "utf8").toString("base64url");
  const unsigned = `${enc({ alg: "HS256", typ: "JWT" })}.${enc(claims)}`;
  // The service signs with the tenant's primary key (key1); an authorization service accepts key1 or key2.
  const key = Buffer.from(currentKeys()[tenantId][0], "utf8");
  return `${unsigned}.${crypto.createHmac("sha256", key).update(unsigned).digest("base64url")}`;
}

function creationClaims(request) {
  const match = /^Basic (.+)$/.exec(request.header("Authorization") || "");
  if (!match) throw new NetworkError(403, "Missing access token.");
  const claims = verifiedClaims(request.params.tenantId, match[1]);
  if (!Array.isArray(claims.scopes) || claims.scopes.length === 0)
    throw new NetworkError(403, "Missing scopes in token claims.");
  const now = Math.floor(Date.now() / 1000);
  for (const [t, exp] of usedCreationTokens) if (exp <= now) usedCreationTokens.delete(t);
  if (usedCreationTokens.has(match[1])) throw new NetworkError(403, "Access token has already been used.");
  usedCreationTokens.set(match[1], claims.exp);
  return claims;
}

const documentsRoute = require("tinylicious/dist/routes/ordering/documents");
const createDocumentsRoute = documentsRoute.create;
documentsRoute.create = function create(storage) {
  const original = createDocumentsRoute(storage);
  const router = require("express").Router();
  router.post("/:tenantId", (request, response, next) => {
    let creation;
    try {
      creation = creationClaims(request);
    } catch (e) {
      return response.status(e.code || 403).json({ message: e.message });
    }
    request.body.id = crypto.randomUUID();
    if (request.body.generateToken !== true) return original(request, response, next);
    const tenantId = request.params.tenantId;
    const id = request.body.id;
    const json = response.json.bind(response);
    // The original route answers 201 with the id once stored; the object form carries the signed receipt.
    response.json = (body) =>
      response.statusCode === 201 ? json({ id, token: signReceipt(tenantId, id, creation) }) : json(body);
    return original(request, response, next);
  });
  router.use(original);
  return router;
};

require("tinylicious/dist/index.js");
