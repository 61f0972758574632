import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecFile } from '../spec/load-spec.js';
import {
  CHURN_COLUMNS,
  generateChurn,
  generateTraffic,
  toCsv,
  writeChurnDataset,
  type ChurnRecord,
} from './generate-churn.js';
import { datasetSha256, readDataset } from './read-dataset.js';
import { validateDataset } from './validate.js';

const spec = await loadSpecFile(new URL('../../examples/churn/pipeline.yaml', import.meta.url).pathname);

/** Logistic regression as the trainers see the data: standardised numerics (mean-imputed) + one-hot categories. */
function fitLogistic(train: readonly ChurnRecord[]): (r: ChurnRecord) => number {
  const numeric = ['tenure_months', 'monthly_charges', 'support_calls', 'data_usage_gb'] as const;
  const cats = {
    plan: ['basic', 'standard', 'premium'],
    region: ['north', 'south', 'east', 'west'],
    contract: ['monthly', 'annual', 'two_year'],
  } as const;
  const stats = numeric.map((n) => {
    const v = train.map((r) => r[n]).filter((x): x is number => x !== null);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return [m, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) || 1] as const;
  });
  const encode = (r: ChurnRecord): number[] => {
    const x = [1];
    numeric.forEach((n, i) => {
      const v = r[n];
      const [m, s] = stats[i] ?? [0, 1];
      x.push(v === null ? 0 : (v - m) / s);
    });
    for (const [k, values] of Object.entries(cats))
      for (const v of values) x.push(r[k as keyof typeof cats] === v ? 1 : 0);
    return x;
  };
  const X = train.map(encode);
  const y = train.map((r) => (r.churned === '1' ? 1 : 0));
  const d = X[0]?.length ?? 0;
  let w = new Array<number>(d).fill(0);
  for (let iter = 0; iter < 12; iter++) {
    // Newton step with a small ridge (the one-hot blocks are collinear with the intercept).
    const g = new Array<number>(d).fill(0);
    const H = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1e-3 : 0)));
    X.forEach((x, n) => {
      const p = 1 / (1 + Math.exp(-x.reduce((s, xi, i) => s + xi * (w[i] ?? 0), 0)));
      for (let i = 0; i < d; i++) {
        g[i] = (g[i] ?? 0) + (p - (y[n] ?? 0)) * (x[i] ?? 0);
        const row = H[i] as number[];
        for (let j = 0; j < d; j++) row[j] = (row[j] ?? 0) + p * (1 - p) * (x[i] ?? 0) * (x[j] ?? 0);
      }
    });
    w = w.map((wi, i) => wi - (solve(H, g)[i] ?? 0));
  }
  return (r) => encode(r).reduce((s, xi, i) => s + xi * (w[i] ?? 0), 0);
}

function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i] ?? 0]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]?.[c] ?? 0) > Math.abs(M[p]?.[c] ?? 0)) p = r;
    [M[c], M[p]] = [M[p] as number[], M[c] as number[]];
    const pivot = M[c] as number[];
    for (let r = 0; r < n; r++) {
      const row = M[r] as number[];
      if (r === c) continue;
      const f = (row[c] ?? 0) / (pivot[c] ?? 1);
      for (let k = c; k <= n; k++) row[k] = (row[k] ?? 0) - f * (pivot[k] ?? 0);
    }
  }
  return M.map((row, i) => (row[n] ?? 0) / (row[i] ?? 1));
}

function rocAuc(scores: number[], labels: number[]): number {
  const order = scores.map((s, i) => [s, labels[i] ?? 0] as const).sort((a, b) => a[0] - b[0]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]?.[0] === order[i]?.[0]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (order[k]?.[1] === 1) {
        pos++;
        rankSum += avgRank;
      }
    }
    i = j;
  }
  const neg = order.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

const aucOf = (model: (r: ChurnRecord) => number, data: readonly ChurnRecord[]): number =>
  rocAuc(
    data.map(model),
    data.map((r) => (r.churned === '1' ? 1 : 0)),
  );

describe('generateChurn', () => {
  it('is deterministic: same seed, same bytes; other seed, other bytes', () => {
    const a = toCsv(generateChurn({ rows: 2000, seed: 7 }));
    expect(toCsv(generateChurn({ rows: 2000, seed: 7 }))).toBe(a);
    expect(toCsv(generateChurn({ rows: 2000, seed: 8 }))).not.toBe(a);
    expect(toCsv(generateChurn({ rows: 2000, seed: 7, drift: 0.5 }))).not.toBe(a);
  });

  it('keeps producing the same data across versions (pinned hash)', () => {
    expect(
      datasetSha256(new TextEncoder().encode(toCsv(generateChurn({ rows: 500, seed: 42 })))),
    ).toMatchInlineSnapshot(`"e431d6f853c9d48ab6d3be0dd64a566ce6806b36524b5af0c19c899e544a5551"`);
  });

  it('matches the example spec: columns, categories, ranges', () => {
    expect(CHURN_COLUMNS).toEqual([...spec.features.map((f) => f.name), spec.label.name]);
    const rows = generateChurn({ rows: 20_000, seed: 1, drift: 1 });
    for (const f of spec.features) {
      const values = rows.map((r) => r[f.name as keyof ChurnRecord]);
      if (f.type === 'categorical') {
        const allowed = new Set<unknown>([...(f.constraints.values ?? []), null]);
        expect(
          values.filter((v) => !allowed.has(v)),
          f.name,
        ).toEqual([]);
      } else {
        const finite = values.filter((v): v is number => typeof v === 'number');
        expect(Math.min(...finite), f.name).toBeGreaterThanOrEqual(f.constraints.min ?? -Infinity);
        expect(Math.max(...finite), f.name).toBeLessThanOrEqual(f.constraints.max ?? Infinity);
      }
    }
    expect(new Set(rows.map((r) => r.churned))).toEqual(new Set(['0', '1']));
  });

  it('has ~8% missing data_usage_gb, ~3% missing region, and a plausible churn rate', () => {
    const rows = generateChurn({ rows: 20_000, seed: 2 });
    const rate = (pred: (r: ChurnRecord) => boolean): number => rows.filter(pred).length / rows.length;
    expect(rate((r) => r.data_usage_gb === null)).toBeGreaterThan(0.07);
    expect(rate((r) => r.data_usage_gb === null)).toBeLessThan(0.09);
    expect(rate((r) => r.region === null)).toBeGreaterThan(0.02);
    expect(rate((r) => r.region === null)).toBeLessThan(0.04);
    expect(rate((r) => r.churned === '1')).toBeGreaterThan(0.15);
    expect(rate((r) => r.churned === '1')).toBeLessThan(0.35);
  });

  it('passes the validation gate of the example spec', () => {
    const bytes = new TextEncoder().encode(toCsv(generateChurn({ rows: 5000, seed: 3 })));
    const read = readDataset(bytes, {
      format: 'csv',
      features: spec.features,
      labelName: spec.label.name,
      source: 'churn.csv',
    });
    expect(read.issues).toEqual([]);
    const report = validateDataset(read.table, spec, { issues: read.issues });
    expect(report.passed).toBe(true);
    expect(report.summary).toMatch(/^5000 rows, 0 errors, 1 warning: data_usage_gb missing [78]\.\d%$/);
  });

  it('lets logistic regression reach ROC-AUC ≈ 0.8, and drift makes retraining pay off', () => {
    const base = generateChurn({ rows: 8000, seed: 11 });
    const baseTest = generateChurn({ rows: 8000, seed: 12 });
    const drifted = generateChurn({ rows: 8000, seed: 13, drift: 1 });
    const driftedTest = generateChurn({ rows: 8000, seed: 14, drift: 1 });
    const oldModel = fitLogistic(base);
    const newModel = fitLogistic(drifted);
    const baseAuc = aucOf(oldModel, baseTest);
    expect(baseAuc).toBeGreaterThan(0.76);
    expect(baseAuc).toBeLessThan(0.84);
    const oldOnDrift = aucOf(oldModel, driftedTest);
    const newOnDrift = aucOf(newModel, driftedTest);
    expect(newOnDrift - oldOnDrift).toBeGreaterThanOrEqual(0.02);
    expect(oldOnDrift).toBeLessThan(baseAuc);
  });
});

describe('covariate shift and concept drift apart', () => {
  const features = (r: ChurnRecord): Omit<ChurnRecord, 'churned'> => {
    const { churned: _churned, ...rest } = r;
    return rest;
  };
  const mean = (rows: readonly ChurnRecord[], pick: (r: ChurnRecord) => number): number =>
    rows.reduce((s, r) => s + pick(r), 0) / rows.length;
  const churnRate = (rows: readonly ChurnRecord[]): number => mean(rows, (r) => (r.churned === '1' ? 1 : 0));

  it('covariate shift moves the features as drift does, and the reference model stays right', () => {
    const base = generateChurn({ rows: 8000, seed: 11 });
    const baseTest = generateChurn({ rows: 8000, seed: 12 });
    const shifted = generateChurn({ rows: 8000, seed: 13, covariateShift: 1 });
    const shiftedTest = generateChurn({ rows: 8000, seed: 14, covariateShift: 1 });
    // The same features as `drift: 1` for the same seed; only the labels follow another relationship.
    const drifted = generateChurn({ rows: 8000, seed: 14, drift: 1 });
    expect(shiftedTest.map(features)).toEqual(drifted.map(features));
    expect(shiftedTest.map((r) => r.churned)).not.toEqual(drifted.map((r) => r.churned));
    // The population moves: shorter tenure, higher charges, more support calls.
    expect(mean(shiftedTest, (r) => r.tenure_months)).toBeLessThan(0.8 * mean(baseTest, (r) => r.tenure_months));
    expect(mean(shiftedTest, (r) => r.monthly_charges)).toBeGreaterThan(mean(baseTest, (r) => r.monthly_charges) + 20);
    expect(mean(shiftedTest, (r) => r.support_calls)).toBeGreaterThan(1.3 * mean(baseTest, (r) => r.support_calls));
    // P(y|x) is unchanged: the model trained before the shift still ranks well, retraining gains next to nothing.
    const oldModel = fitLogistic(base);
    const oldOnShift = aucOf(oldModel, shiftedTest);
    const newOnShift = aucOf(fitLogistic(shifted), shiftedTest);
    expect(oldOnShift).toBeGreaterThan(0.75);
    expect(newOnShift - oldOnShift).toBeLessThan(0.01);
  });

  it('concept drift keeps the features and changes the relationship, so the old model ranks badly', () => {
    const base = generateChurn({ rows: 8000, seed: 11 });
    const concept = generateChurn({ rows: 8000, seed: 13, conceptDrift: 1 });
    const conceptTest = generateChurn({ rows: 8000, seed: 14, conceptDrift: 1 });
    // The same customers as without concept drift for the same seed; only who churns changes.
    const reference = generateChurn({ rows: 8000, seed: 14 });
    expect(conceptTest.map(features)).toEqual(reference.map(features));
    expect(churnRate(conceptTest)).toBeGreaterThan(0.15);
    expect(churnRate(conceptTest)).toBeLessThan(0.4);
    const oldModel = fitLogistic(base);
    const oldOnConcept = aucOf(oldModel, conceptTest);
    const newOnConcept = aucOf(fitLogistic(concept), conceptTest);
    const half = aucOf(oldModel, generateChurn({ rows: 8000, seed: 15, conceptDrift: 0.5 }));
    expect(oldOnConcept).toBeLessThan(0.6);
    expect(newOnConcept).toBeGreaterThan(0.75);
    expect(half).toBeGreaterThan(oldOnConcept);
  });
});

describe('generateTraffic / writeChurnDataset', () => {
  it('returns features without the label and the labels separately, aligned', () => {
    const { records, labels } = generateTraffic({ rows: 300, seed: 5, drift: 0.3 });
    const full = generateChurn({ rows: 300, seed: 5, drift: 0.3 });
    expect(records).toHaveLength(300);
    expect(records.every((r) => !('churned' in r))).toBe(true);
    expect(labels).toEqual(full.map((r) => r.churned));
    const { churned: _churned, ...firstFeatures } = full[0] as ChurnRecord;
    expect(records[0]).toEqual(firstFeatures);
  });

  it('writes the CSV and reports its sha256', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'churn-'));
    try {
      const path = join(dir, 'nested', 'current.csv');
      const out = await writeChurnDataset(path, { rows: 100, seed: 9 });
      const bytes = await readFile(path);
      expect(out).toEqual({ path, rows: 100, bytes: bytes.byteLength, sha256: datasetSha256(bytes) });
      expect(bytes.toString('utf8')).toBe(toCsv(generateChurn({ rows: 100, seed: 9 })));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
