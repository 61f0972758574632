/** The registry contract against the embedded PGlite server (in memory, a free port per database). */
import { startEmbeddedPostgres } from '../../infra/embedded-postgres.js';
import { describeRegistrySuite } from './registry-suite.js';

describeRegistrySuite('embedded PGlite server', () => ({
  async freshDatabase() {
    const server = await startEmbeddedPostgres({ dataDir: 'memory://', port: 0 });
    return { url: server.url, drop: () => server.stop() };
  },
}));
