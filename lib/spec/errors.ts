/** One problem in a pipeline spec: where it is and what is wrong. */
export interface SpecProblem {
  /** Dotted path of the bad field, e.g. `trainer.hyperparameters.epochs` or `features[2].type`. */
  path: string;
  /** 1-based line in the YAML source, when known. */
  line?: number;
  message: string;
}

/** A spec that cannot be used. Its message lists every problem, one per line. */
export class SpecValidationError extends Error {
  override readonly name = 'SpecValidationError';
  constructor(
    readonly source: string,
    readonly problems: SpecProblem[],
  ) {
    super(
      `invalid pipeline spec ${source}:\n` +
        problems
          .map((p) => `  - ${p.line !== undefined ? `line ${p.line}: ` : ''}${p.path || '(root)'}: ${p.message}`)
          .join('\n'),
    );
  }
}
