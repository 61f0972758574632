import type { FeatureSpec } from '../spec/pipeline-spec.js';
import type { ColumnSlot, TableBuilder } from './columns.js';

/** Maps the found column names to builder slots and reports missing, duplicate and extra columns. */
export function mapColumns(
  names: readonly string[],
  builder: TableBuilder,
  features: readonly FeatureSpec[],
  labelName: string | undefined,
  source: string,
): Array<ColumnSlot | undefined> {
  const issues = builder.issues;
  // A column name can be anything the file says, e.g. a 20 MB header line: quote at most 80 characters of it.
  const q = (name: string): string => (name.length > 80 ? `${name.slice(0, 77)}...` : name);
  const seen = new Set<string>();
  const extra: string[] = [];
  const slots = names.map((name, i) => {
    if (seen.has(name)) {
      const inSpec = builder.slotOf(name, labelName) !== undefined;
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
    seen.add(name);
    const slot = builder.slotOf(name, labelName);
    if (slot === undefined) extra.push(name === '' ? `(empty name at position ${i + 1})` : q(name));
    return slot;
  });
  for (const f of features) {
    if (!seen.has(f.name)) {
      issues.add(
        'error',
        'missing_column',
        f.name,
        undefined,
        undefined,
        () =>
          `${source}: required ${f.type} feature column "${f.name}" is missing (found: ${names.slice(0, 20).map(q).join(', ') || 'none'}${names.length > 20 ? `, ... (${names.length} in all)` : ''})`,
      );
    }
  }
  if (labelName !== undefined && !seen.has(labelName)) {
    issues.add(
      'error',
      'missing_label_column',
      labelName,
      undefined,
      undefined,
      () => `${source}: label column "${labelName}" is missing`,
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
