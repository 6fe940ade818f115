/**
 * The synthesized Terraform JSON of each environment, pinned. A change here is a change to what gets deployed:
 * review the snapshot diff like the infrastructure change it is (README "Environments").
 */
import { synthEnvironment } from "./helpers";

describe.each(["dev", "prod", "pr-42"])("%s stack", (env) => {
  it("synthesizes to the reviewed Terraform JSON", () => {
    expect(synthEnvironment(env).json).toMatchSnapshot();
  });
});
