/**
 * One environment's Front Door synthesized in memory, for the local edge to read its rules from
 * (lib/local/edge/edge-from-stack.ts). It is the FrontDoor construct the platform deploys, built from the same
 * mapping of the compiled policy (frontDoorPolicyProps: SKU, prefixes and their edge rules, denial status, allowed
 * origins); names and the origin host, which change no rule, are placeholders. Not the whole platform: loading and
 * synthesizing every construct took 2.2-2.4 s at `npm run dev` start on the loaded 2-core machine, this 0.8 s
 * (docs/local-environment.md). test/local/edge/ also runs the rules of complete synthesized stacks.
 * Nothing is kept on disk: the app's output folder (Testing.app makes one in the temporary directory) is removed after
 * synthesis, so `npm run dev` leaves no temporary file behind; lib/local does not import stacks/ (the import arrows run
 * one way).
 */
import { Testing, TerraformStack } from "cdktf";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InfraNeeds } from "../../policy/authoring/infra-needs";
import { FrontDoor, frontDoorPolicyProps } from "../../constructs/front-door";

export function synthesizeFrontDoor(infra: InfraNeeds): unknown {
  const outdir = mkdtempSync(join(tmpdir(), "tb-edge-synth-"));
  try {
    return synthesize(infra, outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function synthesize(infra: InfraNeeds, outdir: string): unknown {
  const stack = new TerraformStack(Testing.app({ outdir }), `edge-${infra.environment.name}`);
  new FrontDoor(stack, "front-door", {
    profileName: `afd-${infra.environment.name}`,
    endpointName: `fde-${infra.environment.name}`,
    wafPolicyName: `waf${infra.environment.name.replace(/[^A-Za-z0-9]/g, "")}`,
    resourceGroupName: `rg-${infra.environment.name}`,
    originHost: "127.0.0.1",
    originContainer: "cdn-origin",
    tags: { env: infra.environment.name },
    ...frontDoorPolicyProps(infra),
  });
  return JSON.parse(Testing.synth(stack));
}
