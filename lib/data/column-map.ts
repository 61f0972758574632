import type { FeatureSpec } from '../spec/pipeline-spec.js';
import type { ColumnSlot, TableBuilder } from './columns.js';
import { clip } from '../clip.js';
import { normalizeName } from '../spec/column-name.js';

/**
 * Column names are matched after Unicode NFC normalization on both sides, so a header written in NFD
 * ("cafe\u0301") matches the spec's NFC "café". Names that still differ only by case, spaces or compatibility
 * forms are not matched, but the missing-column message suggests them ("did you mean ...").
 */

/** A looser form, only for "did you mean" hints: compatibility forms folded, lower case, no whitespace. */
const looseName = (name: string): string => name.normalize('NFKC').toLowerCase().replace(/\s+/g, '');

/** Resolves found column names (header, JSONL keys, Parquet columns) to the spec's columns. */
export class SpecColumns {
  /** NFC name -> the spec's spelling (what the builder knows). */
  private readonly specByNormal = new Map<string, string>();
  /** NFC name of a spec column -> the first found name that claimed it. */
  private readonly claimedBy = new Map<string, string>();

  constructor(
    private readonly builder: TableBuilder,
    features: readonly FeatureSpec[],
    private readonly labelName: string | undefined,
  ) {
    for (const f of features) this.specByNormal.set(normalizeName(f.name), f.name);
    if (labelName !== undefined) this.specByNormal.set(normalizeName(labelName), labelName);
  }

  /**
   * The slot of a found name, or undefined when it is not a spec column or another spelling of the same name
   * (after NFC) was found first.
   */
  slotFor(found: string): ColumnSlot | undefined {
    const normal = normalizeName(found);
    const specName = this.specByNormal.get(normal);
    if (specName === undefined) return undefined;
    const first = this.claimedBy.get(normal);
    if (first === undefined) this.claimedBy.set(normal, found);
    else if (first !== found) return undefined;
    return this.builder.slotOf(specName, this.labelName);
  }

  /** Whether a found name denotes a spec column (after NFC). */
  isSpecColumn(found: string): boolean {
    return this.specByNormal.has(normalizeName(found));
  }
}

/** A quoted name, at most 80 characters of it (a column name can be anything, e.g. a 20 MB header line). */
const q = (name: string): string => clip(name, 80);

/** ` (did you mean "X"?)` when a found, unmatched name differs from `wanted` only by case, spaces or form. */
function didYouMean(wanted: string, unmatched: readonly string[]): string {
  const loose = looseName(wanted);
  const close = unmatched.filter((n) => looseName(n) === loose);
  return close.length > 0
    ? ` (did you mean ${close
        .slice(0, 3)
        .map((n) => `"${q(n)}"`)
        .join(' or ')}?)`
    : '';
}

/** Maps the found column names to builder slots and reports missing, duplicate and extra columns. */
export function mapColumns(
  names: readonly string[],
  builder: TableBuilder,
  features: readonly FeatureSpec[],
  labelName: string | undefined,
  source: string,
): Array<ColumnSlot | undefined> {
  const issues = builder.issues;
  const spec = new SpecColumns(builder, features, labelName);
  const seen = new Set<string>();
  const extra: string[] = [];
  const unmatched: string[] = [];
  const slots = names.map((name, i) => {
    const normal = normalizeName(name);
    if (seen.has(normal)) {
      const inSpec = spec.isSpecColumn(name);
      issues.add(
        inSpec ? 'error' : 'warning',
        'duplicate_column',
        name,
        undefined,
        undefined,
        () =>
          `${source}: column "${q(name)}" appears more than once in the header (position ${i + 1}); only the first is read`,
      );
      return undefined;
    }
    seen.add(normal);
    const slot = spec.slotFor(name);
    if (slot === undefined) {
      extra.push(name === '' ? `(empty name at position ${i + 1})` : q(name));
      unmatched.push(name);
    }
    return slot;
  });
  const found = (): string =>
    `${names.slice(0, 20).map(q).join(', ') || 'none'}${names.length > 20 ? `, ... (${names.length} in all)` : ''}`;
  for (const f of features) {
    if (!seen.has(normalizeName(f.name))) {
      issues.add(
        'error',
        'missing_column',
        f.name,
        undefined,
        undefined,
        () =>
          `${source}: required ${f.type} feature column "${f.name}" is missing${didYouMean(f.name, unmatched)} (found: ${found()})`,
      );
    }
  }
  if (labelName !== undefined && !seen.has(normalizeName(labelName))) {
    issues.add(
      'error',
      'missing_label_column',
      labelName,
      undefined,
      undefined,
      () => `${source}: label column "${labelName}" is missing${didYouMean(labelName, unmatched)}`,
    );
  }
  if (extra.length > 0) {
    const shown = extra.slice(0, 10).join(', ') + (extra.length > 10 ? `, ... (${extra.length} in all)` : '');
    for (let i = 0; i < extra.length; i++) {
      issues.add(
        'warning',
        'extra_column',
        undefined,
        undefined,
        undefined,
        () => `${source}: columns not in the spec are ignored: ${shown}`,
      );
    }
  }
  return slots;
}
