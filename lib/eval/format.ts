/** Absorbs floating-point noise in differences such as 0.3 - 0.1 (never changes a real decision). */
export const TOLERANCE = 1e-12;

/** Formats numbers with 3 decimals, or more when 3 would make different values print alike. */
export function formatAll(...values: number[]): string[] {
  for (let digits = 3; digits < 10; digits++) {
    const out = values.map((v) => v.toFixed(digits));
    const clash = values.some((a, i) => values.some((b, j) => Math.abs(a - b) > TOLERANCE && out[i] === out[j]));
    if (!clash) return out;
  }
  return values.map((v) => String(v));
}

/** A metric value from a metrics record, or null when absent or not finite. */
export function metricValue(metrics: Readonly<Record<string, number>> | undefined, name: string): number | null {
  const v = metrics?.[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
