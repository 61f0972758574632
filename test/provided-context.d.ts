/** Values test/global-setup.ts provides to every test of the `integration` project, read with `inject(key)`. */
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the shared Temporal dev server (namespace `default`, custom search attributes registered). */
    temporalAddress: string;
    /** Its Web UI. */
    temporalUiUrl: string;
    /** Shared SeaweedFS S3 endpoint; use `forcePathStyle: true`. */
    s3Endpoint: string;
    s3AccessKeyId: string;
    s3SecretAccessKey: string;
    s3Region: string;
    /** Base PostgreSQL URL (TEST_DATABASE_URL or the local default); make own databases with createTestDatabase. */
    databaseUrl: string;
  }
}
