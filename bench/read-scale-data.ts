import { open } from 'node:fs/promises';
import { createRng } from '../lib/random.js';
import type { FeatureSpec } from '../lib/spec/pipeline-spec.js';

/** The 10 feature columns of `read-scale.ts` (7 numeric, 3 categorical; label `y`). */
export const READ_SCALE_FEATURES: FeatureSpec[] = [
  ...Array.from({ length: 7 }, (_, i) => ({
    name: `n${i}`,
    type: 'numeric' as const,
    constraints: { nullable: true, maxMissingRate: 0.3 },
  })),
  ...['plan', 'region', 'device'].map((name) => ({
    name,
    type: 'categorical' as const,
    constraints: { nullable: true, maxMissingRate: 0.3 },
  })),
];

const DICTIONARIES: Record<string, string[]> = {
  plan: ['basic', 'standard', 'premium', 'family'],
  region: ['north', 'south', 'east', 'west', 'central', 'islands'],
  device: Array.from({ length: 40 }, (_, i) => `model-${i}`),
};

/** Writes `rows` rows of CSV (2% missing cells, assorted numeric shapes) to `path`, in 64k-row chunks. */
export async function writeReadScaleCsv(path: string, rows: number, seed = 1): Promise<void> {
  const rng = createRng(seed);
  const file = await open(path, 'w');
  try {
    await file.write(`${[...READ_SCALE_FEATURES.map((f) => f.name), 'y'].join(',')}\n`);
    const CHUNK = 65_536;
    for (let begin = 0; begin < rows; begin += CHUNK) {
      const lines: string[] = [];
      for (let i = begin; i < Math.min(rows, begin + CHUNK); i++) {
        const cells: string[] = [];
        for (let k = 0; k < 7; k++) {
          const u = rng.next();
          if (u < 0.02) cells.push('');
          else if (k % 3 === 0) cells.push((50 + 20 * (rng.next() - 0.5)).toFixed(3));
          else if (k % 3 === 1) cells.push(Math.exp(1 + rng.next()).toFixed(4));
          else cells.push(String(Math.floor(-Math.log(1 - rng.next()) * 3)));
        }
        for (const values of Object.values(DICTIONARIES)) {
          const u = rng.next();
          cells.push(u < 0.01 ? '' : (values[Math.floor(values.length * u * u)] as string));
        }
        cells.push(rng.next() < 0.3 ? '1' : '0');
        lines.push(cells.join(','));
      }
      await file.write(`${lines.join('\n')}\n`);
    }
  } finally {
    await file.close();
  }
}
