import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Parser } from '@asyncapi/parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { TOPIC_TYPES } from '../../../src/contracts/events.ts';
import { TOPIC } from '../../../src/adapters/kafka/topics.ts';
import { startTestApp, type TestApp } from '../../helpers/app.ts';

// The contract documents in the repository (schemas/openapi.json, schemas/asyncapi.json) are
// generated from the code (`npm run riskstream -- schemas`; test/unit/contracts/schemas.test.ts
// keeps the files in step) — here: they are valid documents, and they say what the server does.

const read = (f: string) => JSON.parse(readFileSync(join(BUNDLED.schemas, f), 'utf8')) as any;

describe('OpenAPI 3.1 (schemas/openapi.json, GET /api/v1/openapi.json)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('validates as OpenAPI 3.1', async () => {
    const doc = read('openapi.json');
    expect(doc.openapi).toBe('3.1.0');
    const r = await new Validator().validate(doc);
    expect(r.errors ?? []).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it('lists every route the server registers, and no route it does not', async () => {
    const doc = read('openapi.json');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1').replace('/:file', '/*')}`),
    );
    const served = t.app.routes();
    expect(served.length).toBeGreaterThan(20);
    expect([...new Set(served)].sort()).toEqual([...new Set(documented)].sort());
  });

  it('is served at /api/v1/openapi.json without a token, the same document', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const served = (await res.json()) as any;
    expect(Object.keys(served.paths).sort()).toEqual(Object.keys(read('openapi.json').paths).sort());
    // the request bodies are the zod contracts the handlers parse with: the confirmation's note is required
    expect(served.paths['/api/v1/alerts/{id}/confirm'].post.requestBody.content['application/json'].schema.required).toContain('note');
  });
});

describe('AsyncAPI 3.0 (schemas/asyncapi.json)', () => {
  it('validates with no errors', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(join(BUNDLED.schemas, 'asyncapi.json'), 'utf8'));
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
  });

  it('has a channel for every input topic, the shared topics and /ws', () => {
    const addresses = Object.values(read('asyncapi.json').channels as Record<string, { address: string }>).map((c) => c.address);
    for (const topic of Object.keys(TOPIC_TYPES)) expect(addresses).toContain(topic);
    for (const topic of [TOPIC.alerts, TOPIC.alertsState, TOPIC.alertsCommands, TOPIC.notifications, TOPIC.dlq]) expect(addresses).toContain(topic);
    expect(addresses).toContain('/ws');
  });
});
