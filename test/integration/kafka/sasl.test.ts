// A secured cluster: riskstream authenticates with SASL/PLAIN (kafka.sasl) on the local broker's
// SASL_PLAINTEXT listener (deploy/local/kafka.sh: user riskstream, development password). A wrong
// password stops the instance with an error that says so, instead of retrying in silence.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../../helpers/services.ts';
import { BROKERS, createTestCluster, type TestCluster } from '../../helpers/kafka.ts';
import { connectWs } from '../../helpers/ws.ts';

const SASL_FILE = join(process.env.RISKSTREAM_KAFKA_DIR ?? '/tmp/riskstream-kafka', 'sasl-bootstrap');
const SASL_BROKERS = process.env.RISKSTREAM_KAFKA_SASL_BROKERS ?? (existsSync(SASL_FILE) ? readFileSync(SASL_FILE, 'utf8').trim() : '');
const HAVE = serviceAvailable('kafka sasl', BROKERS.length > 0 && SASL_BROKERS !== '', `no SASL listener (RISKSTREAM_KAFKA_SASL_BROKERS unset and ${SASL_FILE} missing; deploy/local/kafka.sh start writes it)`);
const SASL_ENV = { RISKSTREAM_KAFKA_BROKERS: SASL_BROKERS, RISKSTREAM_KAFKA_SASL_MECHANISM: 'plain', RISKSTREAM_KAFKA_SASL_USERNAME: 'riskstream', RISKSTREAM_KAFKA_SASL_PASSWORD: 'riskstream-dev-secret' };

describe.runIf(HAVE)('kafka mode on a SASL/PLAIN listener', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await createTestCluster();
  }, 60_000);
  afterAll(async () => c?.close());

  it('authenticates, consumes and raises the alert on a screen', async () => {
    const a = await c.start('sasl', { env: SASL_ENV });
    const ws = await connectWs(a.url, await c.token('viewer'));
    await ws.next((f) => f.type === 'snapshot');
    await c.produce('risk.mine.telemetry', [{ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-SASL-1', sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: Date.now() }]);
    await ws.next((f) => f.type === 'alert' && (f.alert as { labels: Record<string, string> }).labels.sensorId === 'CH4-SASL-1', 15_000);
    ws.close();
    expect(await a.stop()).toBe(0);
  }, 90_000);

  it('a wrong password: the instance exits (not ready, not retrying in silence) and its log names the SASL failure', async () => {
    const err = await c.start('sasl-bad', { env: { ...SASL_ENV, RISKSTREAM_KAFKA_SASL_PASSWORD: 'wrong' } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeDefined();
    expect(err!.message).toMatch(/exited before it was ready/);
    expect(err!.message).toMatch(/SASL PLAIN authentication failed/);
  }, 90_000);
});
