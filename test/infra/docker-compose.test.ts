import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  deploy?: { resources?: { reservations?: { devices?: Array<Record<string, unknown>> } } };
}

// docker compose cannot run here: check the file parses (with YAML merge keys, as compose reads it) and is wired.
const compose = parse(await readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), {
  merge: true,
}) as {
  services: Record<string, Service>;
};
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`service ${name} missing`);
  return s;
};

describe('docker-compose.yml', () => {
  it('uses the plain server image with one-shot schema and setup jobs', () => {
    expect(svc('temporal').image).toMatch(/^temporalio\/server:\d/);
    expect(JSON.stringify(compose)).not.toContain('auto-setup');
    const schema = String(svc('temporal-schema').command);
    for (const db of ['temporal', 'temporal_visibility']) expect(schema).toContain(db);
    expect(schema).toContain('/etc/temporal/schema/postgresql/v12');
    expect(svc('temporal').depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
    expect(svc('temporal-setup').depends_on?.temporal?.condition).toBe('service_healthy');
  });

  it('creates every custom search attribute of the contract with its type', () => {
    const declared = svc('temporal-setup').environment?.SEARCH_ATTRIBUTES?.split(/\s+/) ?? [];
    expect(declared.sort()).toEqual(CUSTOM_SEARCH_ATTRIBUTES.map(({ name, type }) => `${name}=${type}`).sort());
  });

  it('runs the app processes from the Dockerfile with the shared environment', () => {
    const expected = {
      'worker-cpu': 'workers/cpu-worker.ts',
      'worker-gpu': 'workers/gpu-worker.ts',
      serving: 'serving/main.ts',
    };
    for (const [name, entry] of Object.entries(expected)) {
      const s = svc(name);
      expect(s.build, name).toBe('.');
      expect(s.command, name).toEqual(['npx', 'tsx', entry]);
      for (const key of [
        'TEMPORAL_ADDRESS',
        'TEMPORAL_NAMESPACE',
        'DATABASE_URL',
        'AWS_ENDPOINT_URL_S3',
        'AWS_REGION',
      ]) {
        expect(s.environment?.[key], `${name} ${key}`).toBeTruthy();
      }
      expect(s.environment?.MLOPS_ARTIFACTS_URL).toBe('s3://mlops-artifacts/');
      expect(s.environment?.MLOPS_SERVING_URLS).toBe('http://serving:8080');
      expect(s.depends_on?.['temporal-setup']?.condition).toBe('service_completed_successfully');
      expect(s.depends_on?.['minio-setup']?.condition).toBe('service_completed_successfully');
      expect(s.depends_on?.['registry-db']?.condition).toBe('service_healthy');
    }
    expect(svc('worker-gpu').deploy?.resources?.reservations?.devices).toEqual([
      { driver: 'nvidia', count: 1, capabilities: ['gpu'] },
    ]);
    expect(svc('serving').environment?.HOST).toBe('0.0.0.0');
    expect(svc('serving').healthcheck).toBeTruthy();
  });
});
