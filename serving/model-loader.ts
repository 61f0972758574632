import type { ArtifactStore } from '../lib/artifacts/artifact-store.js';
import { checkModelMatchesFeatures, type OnnxModel } from '../lib/eval/onnx-model.js';
import type { DeployedModel } from '../lib/registry/types.js';
import type { FeatureSpec } from '../lib/spec/pipeline-spec.js';
import { buildRecordSchema, parseFeatureSpecs } from './feature-schema.js';
import { LoadedModel } from './loaded-model.js';

/** What {@link loadDeployedVersion} needs. */
export interface ModelLoaderDeps {
  artifacts: Pick<ArtifactStore, 'get'>;
  /** Turns verified artifact bytes into a session (normally `loadOnnxModel`). */
  loadModel: (bytes: Uint8Array) => Promise<OnnxModel>;
  /** Called when closing the session (after it is retired) fails. */
  onCloseError?: (error: unknown) => void;
}

/**
 * Loads one deployed version: downloads the artifact with its recorded checksum verified (a mismatch throws
 * `ArtifactChecksumError`), opens the ONNX session, and checks that the graph inputs match the deployed feature
 * schema (the registry's spec is authoritative; a version registered without one uses the model's own metadata).
 * The session is closed again if any check fails.
 */
export async function loadDeployedVersion(deployed: DeployedModel, deps: ModelLoaderDeps): Promise<LoadedModel> {
  const bytes = await deps.artifacts.get(deployed.artifactUri, deployed.artifactSha256);
  const session = await deps.loadModel(bytes);
  let features: FeatureSpec[];
  try {
    features = deployed.features == null ? [...session.features] : parseFeatureSpecs(deployed.features);
    checkModelMatchesFeatures(session, features, 'the artifact does not match the deployed feature schema');
  } catch (error) {
    await session.close().catch(() => undefined);
    throw error;
  }
  return new LoadedModel(
    deployed,
    features,
    buildRecordSchema(features),
    session,
    new Date().toISOString(),
    deps.onCloseError,
  );
}
