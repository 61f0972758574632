/** Categories of current data that the reference profile does not know, as drift reports them. */
import { clip } from '../clip.js';

/**
 * Current values of a categorical feature that are not among the reference profile's categories. JSON-shaped.
 * When the reference kept only its top categories (`referencePooled`), some of these may have occurred in the
 * reference's pooled `__other__` bucket: they are "not in the reference's top categories" rather than new.
 */
export interface UnseenCategories {
  /** Current non-missing values outside the reference's categories. */
  count: number;
  /** `count` over the current non-missing values. */
  share: number;
  /** Up to {@link UNSEEN_EXAMPLES} distinct such values, in order of first appearance. */
  examples: string[];
  /** The reference pooled rare categories (`other > 0`), so these values may not be new. */
  referencePooled?: true;
}

/** How many unseen categories a drift result names. */
export const UNSEEN_EXAMPLES = 5;

/** A value as examples quote it (at most 60 characters). */
export const clipValue = (v: string): string => clip(v, 60);

/** The first few distinct non-missing values not in `known` (only called when there are some). */
export function unseenExamples(values: ReadonlyArray<string | null>, known: ReadonlyMap<string, number>): string[] {
  const out = new Set<string>();
  for (let i = 0; i < values.length && out.size < UNSEEN_EXAMPLES; i++) {
    const v = values[i];
    if (v !== null && v !== undefined && v !== '' && !known.has(v)) out.add(clipValue(v));
  }
  return [...out];
}

/** `plan 12.0% of values ("gold", "platinum")` for the drift summary (a pooled reference says so). */
export function describeUnseen(name: string, u: UnseenCategories): string {
  const pooled = u.referencePooled === true ? 'not in the reference top categories: ' : '';
  const examples = u.examples.map((e) => JSON.stringify(e)).join(', ');
  return `${name} ${(u.share * 100).toFixed(1)}% of values (${pooled}${examples})`;
}
