// Tinylicious (the local Fluid service) for tests, with a REAL token check. Tinylicious checks documentId, tenantId
// and scopes but its TenantManager.verifyToken is a no-op (tinylicious/dist/services/tenantManager.js); here it
// verifies the HS256 signature with the tenant's key1 or key2, and the expiry, as Azure Fluid Relay does.
// Env: PORT, TB_FLUID_KEYS = {"<tenant>":["k1","k2"]}.
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

const keys = JSON.parse(process.env.TB_FLUID_KEYS || "{}");
const { TenantManager } = require("tinylicious/dist/services/tenantManager");
const { NetworkError } = require("@fluidframework/server-services-client");
TenantManager.prototype.verifyToken = async function verifyToken(tenantId, token) {
  // As routerlicious answers (server-services-client validateTokenClaimsExpiration): 401 for an expired token, so
  // a client's driver fetches a fresh one; 403 for anything else. A plain Error would surface as a 500.
  const fail = (why) => {
    throw new NetworkError(why === "expired" ? 401 : 403, `token rejected: ${why}`);
  };
  const parts = String(token).split(".");
  if (parts.length !== 3) fail("malformed");
  const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
  if (header.alg !== "HS256") fail("algorithm");
  const signed = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2], "base64url");
  const ok = (keys[tenantId] || []).some((k) => {
    const expected = crypto.createHmac("sha256", Buffer.from(k, "utf8")).update(signed).digest();
    return expected.length === given.length && crypto.timingSafeEqual(expected, given);
  });
  if (!ok) fail("signature");
  const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  const now = Math.floor(Date.now() / 1000);
  if (claims.tenantId !== tenantId) fail("tenant");
  if (typeof claims.exp !== "number" || claims.exp <= now) fail("expired");
  if (typeof claims.iat !== "number" || claims.iat > now + 60) fail("issued in the future");
};

require("tinylicious/dist/index.js");
