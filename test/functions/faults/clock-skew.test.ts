/**
 * Clock skew between the issuer and the broker (the policy's clockTolerance is 30 s): a broker clock behind or ahead
 * of the issuer's by less than the tolerance accepts, by more refuses with the precise reason in the audit log.
 */
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { KeyServer, makeKey } from "../../support/key-server";
import { brokerFor, FLUID } from "./helpers";

let server: KeyServer;
beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
});
afterAll(() => server.stop());

// [broker clock minus issuer clock in seconds, token lifetime, expected status, audited rejection reason]
const cases: [string, number, number, number, string | undefined][] = [
  ["broker 25 s behind: a just-issued token (iat in the broker's future) is accepted", -25, 600, 200, undefined],
  ["broker 45 s behind: the token looks issued in the future", -45, 600, 401, "ERR_TOKEN_NOT_YET_VALID"],
  [
    "broker 25 s ahead: a token that expired 25 s ago by its clock is still inside the tolerance",
    625,
    600,
    200,
    undefined,
  ],
  ["broker 45 s ahead of expiry: refused as expired", 645, 600, 401, "ERR_TOKEN_EXPIRED"],
];

it.each(cases)("%s", async (_name, skewSeconds, lifetime, status, reason) => {
  const issuedAt = Math.floor(Date.now() / 1000);
  const token = await server.sign(
    { sub: "skewed", roles: ["editor"], aud: "api://broker" },
    { iat: issuedAt, exp: issuedAt + lifetime },
  );
  const brokerNow = () => (issuedAt + skewSeconds) * 1000;
  const { exchange, audit } = brokerFor(
    server.issuer,
    { fluid: createFluidMinter(() => FLUID) },
    { now: brokerNow, verifierOptions: { now: brokerNow } },
  );
  const r = await exchange(token);
  expect(r.status).toBe(status);
  if (reason) {
    expect(r.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
    expect(audit).toEqual([expect.objectContaining({ event: "rejected", reason })]);
  } else {
    expect(audit).toEqual([expect.objectContaining({ event: "issued", type: "fluid" })]);
  }
});
