/**
 * `token-broker deploy publish ...` and `token-broker deploy-check ...`. deploy-check loads cdktf and the provider
 * bindings, publish @azure/identity: each loads only when its command runs, so the other commands start without them.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a static import would load cdktf for every command */
type Print = (s: string) => void;

export async function runDeployCommand(command: string, argv: string[], out: Print, err: Print): Promise<number> {
  if (command === "publish") {
    const { deployPublishCommand }: typeof import("./deploy-publish") = require("./deploy-publish");
    return deployPublishCommand(argv, out, err);
  }
  err(`unknown command 'deploy ${command}'; try: deploy publish, or deploy-check`);
  return 2;
}

export function deployCheckCommand(argv: string[], out: Print, err: Print): number {
  const command: typeof import("./deploy-check-command") = require("./deploy-check-command");
  return command.deployCheckCommand(argv, out, err);
}
