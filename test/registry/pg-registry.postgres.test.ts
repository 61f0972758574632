/** The registry contract against a real PostgreSQL server (TEST_DATABASE_URL), one throwaway database per suite. */
import { inject } from 'vitest';
import { createTestDatabase } from '../../infra/postgres-test.js';
import { describeRegistrySuite } from './registry-suite.js';

describeRegistrySuite('PostgreSQL', () => ({
  freshDatabase: () => createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_registry' }),
}));
