export * from './task-queues.js';
export * from './search-attributes.js';
export * from './payloads.js';
export * from './monitoring.js';
export * from './controller.js';
export * from './messages.js';
export * from './workflow-ids.js';
export * from './reproduce.js';
