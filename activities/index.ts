import { createControl, withMonitorAlerts } from './control.js';
import type { ActivityDeps } from './deps.js';
import { createDeployModel } from './deploy-model.js';
import { createEvaluateModel } from './evaluate-model.js';
import { createInfraValidateModel } from './infra-validate-model.js';
import { createMonitorModel } from './monitor-model.js';
import { createRecordApproval } from './record-approval.js';
import { createRecordMetadata } from './record-metadata.js';
import { createRegisterModel } from './register-model.js';
import { createReproduceActivities } from './reproduce-model.js';
import { createTrainModel } from './train-model.js';
import { createValidateData } from './validate-data.js';

export type { ActivityDeps } from './deps.js';

/**
 * Builds every activity of the lifecycle from the worker's dependencies (built once per worker process).
 * Each activity is a thin adapter: domain logic lives in `lib/`.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    validateData: createValidateData(deps),
    trainModel: createTrainModel(deps),
    evaluateModel: createEvaluateModel(deps),
    infraValidateModel: createInfraValidateModel(deps),
    registerModel: createRegisterModel(deps),
    recordApproval: createRecordApproval(deps),
    deployModel: createDeployModel(deps),
    monitorWindow: withMonitorAlerts(deps, createMonitorModel(deps)),
    ...createRecordMetadata(deps),
    ...createControl(deps),
    ...createReproduceActivities(deps),
  };
}

/** The activity interface workflows proxy (`import type` only). */
export type Activities = ReturnType<typeof createActivities>;
