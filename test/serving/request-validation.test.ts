/** Request validation over real HTTP: precise 400 bodies naming the record index and field, 404s, bad JSON. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startChurnService, type ChurnService } from './helpers.js';

interface IssuesBody {
  error: string;
  issues: Array<{ path: string; message: string }>;
  truncated?: number;
}

let service: ChurnService;
let url: string;

beforeAll(async () => {
  service = await startChurnService();
  url = service.server.url;
});

afterAll(async () => {
  await service?.stop();
});

describe('bad requests', () => {
  const predict = (body: unknown) => http(`${url}/v1/models/churn/predict`, { body });
  const good = { tenure_months: 1, monthly_charges: 50, plan: 'pro' };

  it.each([
    [
      'a wrong type',
      { records: [good, good, good, { ...good, tenure_months: 'abc' }] },
      [{ path: 'records[3].tenure_months', message: 'expected number or null, found "abc"' }],
    ],
    [
      'an unknown field',
      { records: [{ ...good, tenure: 3 }] },
      [{ path: 'records[0].tenure', message: 'unknown field' }],
    ],
    [
      'null in a non-nullable feature',
      { records: [{ ...good, monthly_charges: null }] },
      [{ path: 'records[0].monthly_charges', message: 'expected number, found null (feature is not nullable)' }],
    ],
    [
      'a missing non-nullable feature',
      { records: [{ tenure_months: 1 }] },
      [{ path: 'records[0].monthly_charges', message: 'required numeric feature is missing (not nullable)' }],
    ],
    [
      'a number for a categorical',
      { records: [{ ...good, plan: 3 }] },
      [{ path: 'records[0].plan', message: 'expected string or null, found 3' }],
    ],
    [
      'a record that is not an object',
      { records: [good, 5] },
      [{ path: 'records[1]', message: 'expected an object of features, found 5' }],
    ],
    ['empty records', { records: [] }, [{ path: 'records', message: 'expected 1 to 1000 records, found 0' }]],
    [
      'more than 1000 records',
      { records: Array.from({ length: 1001 }, () => good) },
      [{ path: 'records', message: 'expected at most 1000 records, found 1001' }],
    ],
    ['no records', {}, [{ path: 'records', message: 'required: an array of 1 to 1000 feature records' }]],
    [
      'records not an array',
      { records: { a: 1 } },
      [{ path: 'records', message: 'expected an array of records, found an object' }],
    ],
    ['an unknown top-level field', { records: [good], model: 'x' }, [{ path: 'model', message: 'unknown field' }]],
    [
      'a body that is not an object',
      [good],
      [{ path: '', message: 'expected a JSON object with "records", found an array' }],
    ],
  ])('rejects %s with a precise path', async (_name, body, issues) => {
    const res = await predict(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', issues });
  });

  it('reports every invalid field of every record', async () => {
    const res = await predict({
      records: [good, { ...good, tenure_months: 'abc', plan: false }, { ...good, extra: 1, other: 2 }],
    });
    expect(res.status).toBe(400);
    expect((res.body as IssuesBody).issues).toEqual([
      { path: 'records[1].tenure_months', message: 'expected number or null, found "abc"' },
      { path: 'records[1].plan', message: 'expected string or null, found false' },
      { path: 'records[2].extra', message: 'unknown field' },
      { path: 'records[2].other', message: 'unknown field' },
    ]);
  });

  it('caps the number of listed issues', async () => {
    const res = await predict({ records: Array.from({ length: 300 }, () => ({ ...good, plan: 1 })) });
    expect(res.status).toBe(400);
    const body = res.body as IssuesBody;
    expect(body.issues).toHaveLength(100);
    expect(body.truncated).toBe(200);
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    const res = await http(`${url}/v1/models/churn/predict`, { rawBody: '{"records": [{"tenure_months": 1,' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_json' });
  });

  it('rejects an empty JSON body and a non-JSON content type', async () => {
    const empty = await http(`${url}/v1/models/churn/predict`, {
      method: 'POST',
      rawBody: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: 'invalid_json' });
    const text = await http(`${url}/v1/models/churn/predict`, {
      rawBody: 'hello',
      headers: { 'content-type': 'text/csv' },
    });
    expect(text.status).toBe(415);
    expect(text.body).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('validates feedback bodies', async () => {
    const res = await http(`${url}/v1/models/churn/feedback`, {
      body: {
        feedback: [
          { predictionId: 'a', label: '1' },
          { predictionId: 7 },
          { predictionId: 'b', label: '1', x: 1 },
          { label: '' },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect((res.body as IssuesBody).issues).toEqual([
      { path: 'feedback[1].predictionId', message: 'expected a prediction id string, found 7' },
      { path: 'feedback[1].label', message: 'required: the true label (non-empty string or number)' },
      { path: 'feedback[2].x', message: 'unknown field' },
      { path: 'feedback[3].predictionId', message: 'required: the predictionId returned by predict' },
      { path: 'feedback[3].label', message: 'must not be empty' },
    ]);
    const empty = await http(`${url}/v1/models/churn/feedback`, { body: { feedback: [] } });
    expect(empty.status).toBe(400);
    expect((empty.body as IssuesBody).issues).toEqual([
      { path: 'feedback', message: 'expected 1 to 1000 entries, found 0' },
    ]);
  });

  it('answers 404 for a model that is not deployed', async () => {
    for (const [method, path, body] of [
      ['POST', '/v1/models/nope/predict', { records: [good] }],
      ['POST', '/v1/models/nope/feedback', { feedback: [{ predictionId: 'x', label: '1' }] }],
      ['GET', '/v1/models/nope', undefined],
    ] as const) {
      const res = await http(`${url}${path}`, { method, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body).toMatchObject({ error: 'model_not_found', model: 'nope' });
    }
    const route = await http(`${url}/v2/whatever`);
    expect(route.status).toBe(404);
    expect(route.body).toMatchObject({ error: 'not_found' });
  });
});
