import type { OnnxModel } from '../lib/eval/onnx-model.js';
import type { DeployedModel } from '../lib/registry/types.js';
import type { FeatureSpec } from '../lib/spec/pipeline-spec.js';
import type { RecordSchema } from './feature-schema.js';

/**
 * One loaded version of a model: the ONNX session plus what requests are validated against.
 *
 * Reference-counted so a version can be swapped out atomically: requests {@link acquire} the current version and
 * {@link release} it when done; once {@link retire}d (replaced or undeployed) the session is closed as soon as the
 * last in-flight request releases it.
 */
export class LoadedModel {
  private refs = 0;
  private retired = false;
  private closing: Promise<void> | null = null;

  constructor(
    /** The registry record this version was loaded from. */
    readonly deployed: DeployedModel,
    /** The feature schema of this version (defaults applied). */
    readonly features: readonly FeatureSpec[],
    /** Validator of one request record for this version. */
    readonly recordSchema: RecordSchema,
    readonly session: OnnxModel,
    /** ISO time the version finished loading. */
    readonly loadedAt: string,
    private readonly onCloseError: (error: unknown) => void = () => {},
  ) {}

  get model(): string {
    return this.deployed.model;
  }

  get version(): number {
    return this.deployed.version;
  }

  /** Pins this version for one request. Always pair with {@link release}. */
  acquire(): this {
    if (this.closing) throw new Error(`model ${this.model} v${this.version} is already closed`);
    this.refs += 1;
    return this;
  }

  release(): void {
    this.refs -= 1;
    if (this.refs === 0 && this.retired) this.close();
  }

  /** Marks this version replaced; it closes once no request holds it. */
  retire(): void {
    this.retired = true;
    if (this.refs === 0) this.close();
  }

  /** Requests currently holding this version. */
  get inFlight(): number {
    return this.refs;
  }

  /** Resolves when the session has been closed (after {@link retire} and the last release). */
  get closed(): Promise<void> | null {
    return this.closing;
  }

  private close(): void {
    if (this.closing) return;
    this.closing = this.session.close().catch(this.onCloseError);
  }
}
