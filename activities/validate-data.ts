import { Context } from '@temporalio/activity';
import type { ValidateDataInput, ValidateDataResult } from '../contracts/payloads.js';
import { ArtifactChecksumError, ArtifactNotFoundError } from '../lib/artifacts/errors.js';
import { DatasetError, type DataIssue } from '../lib/data/errors.js';
import { readDatasetStream } from '../lib/data/read-dataset-stream.js';
import { profileTable, type DatasetProfile } from '../lib/data/profile.js';
import { skewIssues } from '../lib/data/skew.js';
import { schemaFingerprint, type ReadDatasetOptions, type ReadDatasetResult } from '../lib/data/read-dataset.js';
import { splitTable, stratifiesByLabel, tableToCsv } from '../lib/data/split.js';
import { topProblems, unreadableDatasetReport, validateDataset, type ValidationReport } from '../lib/data/validate.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/**
 * The validation gate: reads the dataset (`file://` or `s3://`), versions it by content hash, checks it against the
 * spec's schema and constraints, stores the report, and (when it passes) stores the seeded train/holdout split and
 * the training profile (the reference for drift). The split is stratified by the label for binary and multiclass
 * tasks, random for regression. Split and profile are content-addressed by dataset version, seed, fraction and
 * stratification, so re-running on the same data reuses them.
 *
 * A dataset that cannot be read at all (empty, header only, malformed CSV, corrupt Parquet) fails the gate like any
 * severe anomaly: its report holds one `unreadable_dataset` error, and the result is `passed: false` (the pipeline
 * ends `invalid_data`). A champion profile that cannot be read skips the skew check with a visible
 * `skew_check_skipped` warning.
 *
 * CSV and JSONL datasets are parsed as they stream in; Parquet is spooled to a temporary file as it streams in and
 * read by column chunk (memory: the table, not the file, in both cases).
 */
export function createValidateData(deps: ActivityDeps) {
  return async function validateData(input: ValidateDataInput): Promise<ValidateDataResult> {
    return permanentErrorsAreFinal(async () => {
      const ctx = Context.current();
      const { spec, runId } = input;
      const uri = input.datasetUri ?? spec.dataset.uri;
      const { read, unreadable, sha256 } = await readVersionedDataset(deps, uri, spec, () => ctx.heartbeat('read'));
      const dataset = {
        uri,
        sha256,
        rows: read?.table.rowCount ?? 0,
        schemaFingerprint: schemaFingerprint(spec.features, spec.label.name),
      };
      const store = async (report: ValidationReport): Promise<string> =>
        (
          await deps.artifacts.put(
            `models/${spec.model}/runs/${runId}/validation.json`,
            JSON.stringify({ dataset, report }, null, 2),
            { contentType: 'application/json' },
          )
        ).uri;
      if (read === null) {
        const report = unreadableDatasetReport(unreadable.message);
        const reportUri = await store(report);
        return { ...gateResult(report, reportUri), dataset };
      }
      const issues = [...read.issues];
      const { skew } = spec.validation;
      const champion = skew.severity === 'off' ? null : await deps.registry.getVersionByAlias(spec.model, 'champion');
      if (champion && skew.severity !== 'off') {
        const profileUri = champion.lineage.profileUri;
        let reference: DatasetProfile | null = null;
        try {
          reference = JSON.parse(new TextDecoder().decode(await deps.artifacts.get(profileUri))) as DatasetProfile;
        } catch (err) {
          // A missing, corrupt or unparsable profile skips the check visibly; an unreachable store is rethrown, so
          // the activity is retried rather than passing the gate without its skew check.
          if (!(
            err instanceof ArtifactNotFoundError ||
            err instanceof ArtifactChecksumError ||
            err instanceof SyntaxError
          ))
            throw err;
          const note = skewSkipped(profileUri, err);
          ctx.log.warn(note.message);
          issues.push(note);
        }
        if (reference !== null) {
          issues.push(
            ...skewIssues(reference, read.table, {
              method: skew.method,
              threshold: skew.threshold,
              columns: skew.columns,
              severity: skew.severity,
              referenceVersion: champion.version,
            }),
          );
        }
      }
      const report = validateDataset(read.table, spec, {
        issues,
        sourceRows: read.sourceRows,
        minRows: spec.validation.minRows,
        severity: spec.validation.severity,
      });
      const reportUri = await store(report);
      if (!report.passed) return { ...gateResult(report, reportUri), dataset };

      ctx.heartbeat('split');
      // Stratified by class for binary and multiclass labels; a regression label's values are (nearly) all distinct.
      const stratify = stratifiesByLabel(spec.label.task);
      const { train, holdout } = splitTable(read.table, {
        holdoutFraction: spec.split.holdoutFraction,
        seed: spec.split.seed,
        stratify,
      });
      // Stratified splits keep their key; unstratified ones (regression) get their own, as the same file may be
      // split both ways by different specs.
      const prefix =
        `datasets/${sha256}/split-${spec.split.seed}-${spec.split.holdoutFraction}` + (stratify ? '' : '-unstratified');
      const trainRef = await deps.artifacts.put(
        `${prefix}/train.csv`,
        tableToCsv(train, spec.features, spec.label.name),
        { contentType: 'text/csv' },
      );
      const holdoutRef = await deps.artifacts.put(
        `${prefix}/holdout.csv`,
        tableToCsv(holdout, spec.features, spec.label.name),
        { contentType: 'text/csv' },
      );
      const profile = profileTable(train, spec.features, spec.label.name);
      const profileRef = await deps.artifacts.put(`${prefix}/profile.json`, JSON.stringify(profile), {
        contentType: 'application/json',
      });
      return {
        ...gateResult(report, reportUri),
        dataset,
        trainUri: trainRef.uri,
        holdoutUri: holdoutRef.uri,
        profileUri: profileRef.uri,
        trainRows: train.rowCount,
        holdoutRows: holdout.rowCount,
      };
    });
  };
}

/** The result from the report alone (no split, no profile yet). */
function gateResult(report: ValidationReport, reportUri: string): Omit<ValidateDataResult, 'dataset'> {
  return {
    passed: report.passed,
    errors: report.errors,
    warnings: report.warnings,
    summary: report.summary,
    topProblems: topProblems(report),
    reportUri,
    trainUri: '',
    holdoutUri: '',
    profileUri: '',
    trainRows: 0,
    holdoutRows: 0,
  };
}

/** The warning that the skew check did not run: the champion's profile could not be read. */
function skewSkipped(profileUri: string, err: unknown): DataIssue {
  const reason = err instanceof Error ? err.message : String(err);
  return {
    severity: 'warning',
    code: 'skew_check_skipped',
    count: 1,
    examples: [],
    message: `skew check skipped: cannot read the champion's profile ${profileUri}: ${reason}`,
  };
}

/** Heartbeat while streaming every this many bytes. */
const HEARTBEAT_BYTES = 64 << 20;

/**
 * Reads the dataset and its version (sha256 of the bytes), and enforces a pinned `dataset.version` with a
 * DatasetError. Errors come in the order of reading the whole file first: object errors (missing, checksum), then a
 * version mismatch, then parse errors; so when parsing a stream fails, the rest is still read to hash and verify it.
 * A parse error (the DatasetError of an unreadable dataset) is returned as `unreadable`, not thrown.
 */
async function readVersionedDataset(
  deps: ActivityDeps,
  uri: string,
  spec: ValidateDataInput['spec'],
  heartbeat: () => void,
): Promise<
  | { read: ReadDatasetResult; unreadable?: never; sha256: string }
  | { read: null; unreadable: DatasetError; sha256: string }
> {
  const options: ReadDatasetOptions = {
    format: spec.dataset.format,
    features: spec.features,
    labelName: spec.label.name,
    source: uri,
  };
  const checkVersion = (sha256: string): void => {
    if (spec.dataset.version && spec.dataset.version !== sha256) {
      throw new DatasetError(
        uri,
        `dataset version is ${sha256} but the spec pins dataset.version ${spec.dataset.version}`,
      );
    }
  };
  const stream = await deps.readUriStream(uri);
  const source = stream[Symbol.asyncIterator]();
  let sourceFailed = false;
  let sinceBeat = 0;
  // No `return`: a parse error must not close the source, which is then drained (below).
  const chunks: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        try {
          const next = await source.next();
          sinceBeat += next.done ? 0 : next.value.length;
          if (sinceBeat >= HEARTBEAT_BYTES) {
            sinceBeat = 0;
            heartbeat();
          }
          return next;
        } catch (err) {
          sourceFailed = true;
          throw err;
        }
      },
    }),
  };
  let read: ReadDatasetResult;
  try {
    read = await readDatasetStream(chunks, {
      ...options,
      ...(stream.size !== undefined ? { sizeBytes: stream.size } : {}),
    });
  } catch (err) {
    if (sourceFailed) throw err;
    try {
      while (!(await source.next()).done);
    } catch (drainErr) {
      await stream.close();
      throw drainErr;
    }
    checkVersion(stream.sha256());
    if (err instanceof DatasetError) return { read: null, unreadable: err, sha256: stream.sha256() };
    throw err;
  }
  checkVersion(stream.sha256());
  heartbeat();
  return { read, sha256: stream.sha256() };
}
