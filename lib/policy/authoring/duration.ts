/** Durations in policy files: `90s`, `15m`, `1h`, `1h30m`, `7d`, or a plain number of seconds. */

const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Seconds for a duration, or undefined when the text is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string" || value === "") return undefined;
  const m = DURATION.exec(value);
  if (!m) return undefined;
  const [, d, h, mi, s] = m;
  return (
    Number(d ?? 0) * UNIT_SECONDS.d +
    Number(h ?? 0) * UNIT_SECONDS.h +
    Number(mi ?? 0) * UNIT_SECONDS.m +
    Number(s ?? 0)
  );
}

/** The shortest readable form: 3600 -> "1h", 5400 -> "1h30m", 45 -> "45s". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  let rest = seconds;
  let out = "";
  for (const unit of ["d", "h", "m", "s"]) {
    const n = Math.floor(rest / UNIT_SECONDS[unit]);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * UNIT_SECONDS[unit];
  }
  return out;
}
