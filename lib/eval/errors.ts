/** The bytes are not a usable model: not ONNX, not loadable by onnxruntime, or lacking this project's metadata. Permanent. */
export class ModelFormatError extends Error {
  override readonly name: string = 'ModelFormatError';
}

/**
 * A model's graph inputs do not match a feature list (its own `mlops.features` metadata, or the spec it is checked
 * against). `input` names the first mismatched input or feature.
 */
export class FeatureMismatchError extends ModelFormatError {
  override readonly name = 'FeatureMismatchError';
  constructor(
    readonly input: string,
    /** What the feature list asks for, e.g. `numeric (float32)`, or `absent`. */
    readonly expected: string,
    /** The model's input element type, e.g. `string`, or `absent`. */
    readonly actual: string,
    context: string,
  ) {
    super(`${context}: input "${input}" expected ${expected}, found ${actual}`);
  }
}

/** Data handed to a model for scoring is unusable (missing column, wrong value type). `feature` names the culprit. */
export class PredictionInputError extends Error {
  override readonly name = 'PredictionInputError';
  constructor(
    readonly feature: string,
    message: string,
    /** 0-based record index, when one record is at fault. */
    readonly record: number | null = null,
  ) {
    super(message);
  }
}
