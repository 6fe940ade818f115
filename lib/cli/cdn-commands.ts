/** `token-broker cdn encrypt|decrypt`: ECToken v3 for EdgeCast-compatible CDNs. A wrong key or altered token exits 1. */
import { decryptECToken, ECTokenError, encryptECToken } from "../cdn/ectoken";

type Print = (s: string) => void;

const USAGE =
  "usage: token-broker cdn encrypt --key <key> <ec_params>   |   token-broker cdn decrypt --key <key> <token>\n" +
  "       (or set ECTOKEN_KEY instead of --key, to keep the key out of shell history)";

/**
 * The arguments are read by hand, not with `parseArgs`: a token is base64url, so one in 64 begins with `-` (and one in
 * 4,096 with `--`), and `parseArgs` would take it for an option. Only `--key`, `--key=…` and `--` are options here;
 * every other argument is the token or the parameters, whatever its first character.
 */
function readArgs(argv: string[]): { key?: string; inputs: string[] } | string {
  let key: string | undefined;
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      inputs.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--key") {
      if (i + 1 >= argv.length) return "option '--key <key>' needs a value";
      key = argv[++i];
    } else if (arg.startsWith("--key=")) key = arg.slice("--key=".length);
    else inputs.push(arg);
  }
  return { key, inputs };
}

export function runCdnCommand(command: string, argv: string[], out: Print, err: Print): number {
  const parsed = readArgs(argv);
  if (typeof parsed === "string") {
    err(`${parsed}\n${USAGE}`);
    return 2;
  }
  const key = parsed.key ?? process.env.ECTOKEN_KEY;
  if (!key || parsed.inputs.length !== 1 || (command !== "encrypt" && command !== "decrypt")) {
    err(USAGE);
    return 2;
  }
  const [input] = parsed.inputs;
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
