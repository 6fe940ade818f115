/**
 * The client package restates the broker's problem types and Fluid scopes so it depends on nothing in this
 * repository. These checks keep the copies equal: the type assertions fail `npm run typecheck`, the runtime ones
 * fail here.
 */
import { problem, type ProblemType } from "../../functions-src/problem";
import type { FluidScope as PolicyFluidScope } from "../../lib/policy/runtime/runtime-config";
import { codeOfProblemType, type BrokerProblemType } from "../../lib/client/problem-error";
import type { FluidScope } from "../../lib/client/index";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const problemTypesEqual: Equal<ProblemType, BrokerProblemType> = true;
const fluidScopesEqual: Equal<FluidScope, PolicyFluidScope> = true;

const BROKER_TYPES: Record<ProblemType, true> = {
  "bad-request": true,
  "invalid-token": true,
  forbidden: true,
  "not-found": true,
  conflict: true,
  "method-not-allowed": true,
  "unsupported-media-type": true,
  "payload-too-large": true,
  "request-timeout": true,
  "headers-too-large": true,
  "expectation-failed": true,
  "rate-limited": true,
  "backend-unavailable": true,
  internal: true,
};

it("the restated types are the broker's", () => {
  expect([problemTypesEqual, fluidScopesEqual]).toEqual([true, true]);
});

it.each(Object.keys(BROKER_TYPES) as ProblemType[])(
  "the client reads the broker's %s problem as its own code",
  (type) => {
    const answer = problem(type, "detail");
    expect(codeOfProblemType(JSON.parse(answer.body).type, answer.status)).toBe(type);
  },
);
