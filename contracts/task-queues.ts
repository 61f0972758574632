/** Task queue for validation, evaluation, registry, deployment and monitoring (and CPU training). */
export const CPU_TASK_QUEUE = 'mlops-cpu';
/** Task queue served only by workers on GPU hosts; training goes here when the spec asks for `resources: gpu`. */
export const GPU_TASK_QUEUE = 'mlops-gpu';
