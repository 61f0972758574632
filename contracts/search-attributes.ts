import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Model name, on every workflow of the project. */
export const MODEL_KEY = defineSearchAttributeKey('MlopsModel', SearchAttributeType.KEYWORD);
/** Model version produced (pipeline) or watched (monitor). */
export const VERSION_KEY = defineSearchAttributeKey('MlopsVersion', SearchAttributeType.INT);
/** What started the run: initial, manual, new_data, drift, performance, schedule. */
export const TRIGGER_KEY = defineSearchAttributeKey('MlopsTrigger', SearchAttributeType.KEYWORD);
/** Current stage: validating, training, evaluating, registering, deploying, deployed, rejected, failed, idle, monitoring... */
export const STAGE_KEY = defineSearchAttributeKey('MlopsStage', SearchAttributeType.KEYWORD);

/** Every custom search attribute with its type, as `temporal operator search-attribute create` and the dev server's `--search-attribute` expect. */
export const CUSTOM_SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' | 'Int' }> = [
  { name: MODEL_KEY.name, type: 'Keyword' },
  { name: VERSION_KEY.name, type: 'Int' },
  { name: TRIGGER_KEY.name, type: 'Keyword' },
  { name: STAGE_KEY.name, type: 'Keyword' },
];
