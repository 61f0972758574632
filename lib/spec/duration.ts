import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses a duration such as `30s`, `5m`, `1.5h`, `7d` into milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const match = DURATION_RE.exec(text.trim());
  if (!match)
    throw new Error(`invalid duration "${text}": expected a number followed by ms, s, m, h or d (e.g. "30s", "5m")`);
  const value = Number(match[1]);
  const unit = match[2] as keyof typeof UNIT_MS;
  return Math.round(value * UNIT_MS[unit]);
}

/** A zod schema for duration strings (`30s`, `5m`, `2h`, `1d`), kept as the string so it stays readable in history. */
export const durationSchema = z.string().refine((s) => DURATION_RE.test(s.trim()), {
  error: (issue) => `expected a duration such as "30s", "5m", "2h" or "1d", found ${JSON.stringify(issue.input)}`,
});
