/** `token-broker cdn encrypt|decrypt`: ECToken v3 for EdgeCast-compatible CDNs. A wrong key or altered token exits 1. */
import { parseArgs } from "node:util";
import { decryptECToken, ECTokenError, encryptECToken } from "../cdn/ectoken";

type Print = (s: string) => void;

export function runCdnCommand(command: string, argv: string[], out: Print, err: Print): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { key: { type: "string" } }, allowPositionals: true, strict: true });
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  const key = parsed.values.key ?? process.env.ECTOKEN_KEY;
  if (!key || parsed.positionals.length !== 1 || (command !== "encrypt" && command !== "decrypt")) {
    err(
      "usage: token-broker cdn encrypt --key <key> <ec_params>   |   token-broker cdn decrypt --key <key> <token>\n       (or set ECTOKEN_KEY instead of --key, to keep the key out of shell history)",
    );
    return 2;
  }
  const [input] = parsed.positionals;
  if (command === "encrypt") {
    out(encryptECToken(key, input));
    return 0;
  }
  try {
    out(decryptECToken(key, input));
    return 0;
  } catch (e) {
    if (e instanceof ECTokenError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
}
