// `riskstream topics create` against the real broker that deploy/local/kafka.sh runs: creates the
// topics of CONTRACT §5 (+ risk.alerts.commands), verifies them on a second run, reports a
// pre-existing topic that does not match as MISMATCH (exit 1) without touching it, and fails fast
// on an unreachable broker.
//
//   eval "$(bash deploy/local/kafka.sh start)"     # prints BOOTSTRAP=127.0.0.1:PORT[,...]
//   RISKSTREAM_KAFKA_BROKERS=$BOOTSTRAP npx vitest run --config test/vitest.config.ts test/integration/kafka
//
// Without RISKSTREAM_KAFKA_BROKERS the broker cases are skipped, unless RISKSTREAM_REQUIRE_SERVICES=1
// (CI), where they fail.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serviceAvailable } from '../../helpers/services.ts';
import kafkajs, { type Admin } from 'kafkajs';
import { TOPIC, TOPIC_SPECS, compareTopic, defaultReplication, minInsyncFor, topicNameProblem } from '../../../src/adapters/kafka/topics.ts';
import { runCli } from '../../helpers/cli.ts';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BROKERS = (process.env.RISKSTREAM_KAFKA_BROKERS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const HAVE_KAFKA = serviceAvailable('kafka topics', BROKERS.length > 0, 'RISKSTREAM_KAFKA_BROKERS is not set, so the broker cases are skipped (start one with `bash deploy/local/kafka.sh start` and export its BOOTSTRAP)');

// each CLI run spawns node + tsx and talks to the broker
vi.setConfig({ testTimeout: 120_000 });

/** cli runs `node src/cli/riskstream.mjs ...args` with only the RISKSTREAM_* variables given. */
const cli = (args: string[], env: Record<string, string>) => runCli(args, { env: { RISKSTREAM_LOG_LEVEL: 'error', ...env } });

const ALL = Object.values(TOPIC);
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
/** lineOf: the output line about a topic (topic names are followed by a space or a colon). */
const lineOf = (out: string, topic: string) => lines(out).find((l) => l.includes(` ${topic} `) || l.includes(` ${topic}:`));

describe('topic specs', () => {
  it('covers CONTRACT §5 plus risk.alerts.commands with the documented partitions and policies', () => {
    const specs = TOPIC_SPECS('p.', { replication: 3 });
    expect(specs.map((s) => s.base).sort()).toEqual([...ALL].sort());
    const by = new Map(specs.map((s) => [s.base, s]));
    for (const t of [TOPIC.weatherWarnings, TOPIC.weatherNowcast, TOPIC.alerts, TOPIC.alertsCommands]) {
      expect(by.get(t)).toMatchObject({ partitions: 1, partitionRule: 'exact' });
    }
    for (const t of [TOPIC.mineTelemetry, TOPIC.gridTelemetry, TOPIC.siteTelemetry, TOPIC.enforcementEvents, TOPIC.casualtySignals, TOPIC.repartition, TOPIC.dlq]) {
      expect(by.get(t)).toMatchObject({ partitions: 6, partitionRule: 'atLeast' });
    }
    expect(by.get(TOPIC.alertsState)!.configs['cleanup.policy']).toBe('compact');
    // the shared notification log: latest record per key, and gone after 30 days
    expect(by.get(TOPIC.notifications)!.configs).toMatchObject({ 'cleanup.policy': 'compact,delete', 'retention.ms': String(30 * 86_400_000) });
    expect(by.get(TOPIC.dlq)!.configs['retention.ms']).toBe(String(30 * 86_400_000));
    for (const s of specs) {
      expect(s.topic).toBe('p.' + s.base);
      expect(s.replication).toBe(3);
      expect(s.configs['min.insync.replicas']).toBe('2');
      if (s.base !== TOPIC.alertsState && s.base !== TOPIC.notifications) expect(s.configs['cleanup.policy']).toBe('delete');
    }
    expect(TOPIC_SPECS('', { partitions: 12, replication: 1 }).find((s) => s.base === TOPIC.mineTelemetry)!.partitions).toBe(12);
  });

  it('replication min(3, brokers); min.insync.replicas 2 only from 3 replicas', () => {
    expect([1, 2, 3, 5].map(defaultReplication)).toEqual([1, 2, 3, 3]);
    expect([1, 2, 3, 4].map(minInsyncFor)).toEqual([1, 1, 2, 2]);
  });

  it('compareTopic names every setting that differs', () => {
    const [alerts, state, dlq] = [TOPIC.alerts, TOPIC.alertsState, TOPIC.dlq].map((b) => TOPIC_SPECS('', { replication: 3 }).find((s) => s.base === b)!);
    const good = { 'cleanup.policy': 'delete', 'min.insync.replicas': '2' };
    expect(compareTopic(alerts!, { partitions: 1, replication: 3, configs: good })).toEqual([]);
    expect(compareTopic(alerts!, { partitions: 2, replication: 3, configs: good })[0]).toMatch(/^partitions=2, expected exactly 1/);
    expect(compareTopic(dlq!, { partitions: 12, replication: 3, configs: good })).toEqual([]); // more is fine
    expect(compareTopic(dlq!, { partitions: 3, replication: 3, configs: good })[0]).toMatch(/^partitions=3, expected at least 6/);
    const p = compareTopic(state!, { partitions: 1, replication: 1, configs: { 'cleanup.policy': 'delete', 'min.insync.replicas': '1' } });
    expect(p.map((x) => x.split(',')[0])).toEqual(['replication=1', 'cleanup.policy=delete', 'min.insync.replicas=1']);
    expect(compareTopic(state!, { partitions: 1, replication: 3, configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2' } })).toEqual([]);
  });

  it('rejects prefixes that make illegal topic names', () => {
    expect(topicNameProblem('prod.risk.alerts')).toBeUndefined();
    expect(topicNameProblem('a b.risk.alerts')).toMatch(/may contain only/);
    expect(topicNameProblem('x'.repeat(250))).toMatch(/249/);
  });
});

describe.runIf(HAVE_KAFKA)('riskstream topics create against a real broker', () => {
  const run = randomUUID().slice(0, 8);
  const prefix = `it.${run}.`;
  const prefixBad = `it.${run}.bad.`;
  const kafka = new Kafka({ clientId: `riskstream-it-topics-${run}`, brokers: BROKERS, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 5 } });
  let admin: Admin;
  const env = (p: string) => ({ RISKSTREAM_KAFKA_BROKERS: BROKERS.join(','), RISKSTREAM_KAFKA_TOPIC_PREFIX: p });

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    if (!admin) return;
    const mine = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(`it.${run}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 10_000 }).catch((e) => console.warn(`[kafka topics] deleteTopics: ${e}`));
    await admin.disconnect().catch(() => {});
  });

  it('creates every topic (exit 0, one `created` line per topic)', async () => {
    const r = await cli(['topics', 'create'], env(prefix));
    expect(r.stderr).not.toMatch(/MISMATCH|ERROR/);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toHaveLength(ALL.length);
    for (const t of ALL) expect(lineOf(r.stdout, prefix + t), `${t} in\n${r.stdout}`).toMatch(/^created\s/);
    const existing = await admin.listTopics();
    for (const t of ALL) expect(existing).toContain(prefix + t);

    const md = await admin.fetchTopicMetadata({ topics: ALL.map((t) => prefix + t) });
    const parts = new Map(md.topics.map((t) => [t.name, t.partitions.length]));
    expect(parts.get(prefix + TOPIC.alerts)).toBe(1);
    expect(parts.get(prefix + TOPIC.alertsCommands)).toBe(1);
    expect(parts.get(prefix + TOPIC.weatherWarnings)).toBe(1);
    expect(parts.get(prefix + TOPIC.mineTelemetry)).toBe(6);
    expect(parts.get(prefix + TOPIC.dlq)).toBe(6);
  });

  it('a second run verifies them all: exit 0, `ok` for every topic', async () => {
    const r = await cli(['topics', 'create'], env(prefix));
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toHaveLength(ALL.length);
    for (const t of ALL) expect(lineOf(r.stdout, prefix + t)).toMatch(/^ok\s/);
  });

  it('risk.alerts.state is compacted, risk.notifications compacted and deleted after 30 days, the others deleted', async () => {
    const cfg = await admin.describeConfigs({
      includeSynonyms: false,
      resources: ALL.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: prefix + t, configNames: ['cleanup.policy', 'retention.ms'] })),
    });
    const policy = new Map(cfg.resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue]));
    expect(policy.get(prefix + TOPIC.alertsState)).toBe('compact');
    expect(policy.get(prefix + TOPIC.notifications)).toBe('compact,delete');
    for (const t of ALL.filter((x) => x !== TOPIC.alertsState && x !== TOPIC.notifications)) expect(policy.get(prefix + t), t).toBe('delete');
    const dlq = cfg.resources.find((r) => r.resourceName === prefix + TOPIC.dlq)!;
    expect(dlq.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe(String(30 * 86_400_000));
  });

  it('an existing topic with the wrong partitions or policy: MISMATCH naming it, exit 1, left untouched', async () => {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: prefixBad + TOPIC.alerts, numPartitions: 3 }, // must be exactly 1 (seq = offset + 1)
        { topic: prefixBad + TOPIC.mineTelemetry, numPartitions: 2 }, // fewer than N = 6
        { topic: prefixBad + TOPIC.alertsState, numPartitions: 1 }, // not compacted
      ],
    });
    const r = await cli(['topics', 'create'], env(prefixBad));
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(lineOf(r.stdout, prefixBad + TOPIC.alerts)).toMatch(new RegExp(`^MISMATCH ${prefixBad.replace(/\./g, '\\.')}risk\\.alerts: partitions=3, expected exactly 1`));
    expect(lineOf(r.stdout, prefixBad + TOPIC.mineTelemetry)).toMatch(/^MISMATCH .*risk\.mine\.telemetry: partitions=2, expected at least 6/);
    expect(lineOf(r.stdout, prefixBad + TOPIC.alertsState)).toMatch(/^MISMATCH .*risk\.alerts\.state: .*cleanup\.policy=delete, expected compact/);
    // the rest were created and verified
    for (const t of ALL.filter((x) => ![TOPIC.alerts, TOPIC.mineTelemetry, TOPIC.alertsState].includes(x as never))) {
      expect(lineOf(r.stdout, prefixBad + t), t).toMatch(/^created\s/);
    }
    expect(r.stderr).toMatch(/3 mismatch/);
    // never deleted or recreated
    const md = await admin.fetchTopicMetadata({ topics: [prefixBad + TOPIC.alerts, prefixBad + TOPIC.mineTelemetry] });
    expect(md.topics.map((t) => t.partitions.length).sort()).toEqual([2, 3]);

    // --partitions 2 makes the telemetry topic acceptable, the others still are not
    const r2 = await cli(['topics', 'create', '--partitions', '2'], env(prefixBad));
    expect(r2.code).toBe(1);
    expect(lineOf(r2.stdout, prefixBad + TOPIC.mineTelemetry)).toMatch(/^ok\s/);
    expect(lineOf(r2.stdout, prefixBad + TOPIC.alerts)).toMatch(/^MISMATCH/);
  });

  it('an unreachable broker fails fast (exit 1) with a clear message', async () => {
    const r = await cli(['topics', 'create'], { RISKSTREAM_KAFKA_BROKERS: '127.0.0.1:1', RISKSTREAM_KAFKA_TOPIC_PREFIX: prefix });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/cannot connect to Kafka at 127\.0\.0\.1:1/);
    expect(r.stderr).toMatch(/ECONNREFUSED|Connection error/);
    expect(r.ms).toBeLessThan(20_000);
  });

  it('bad configuration or arguments exit 2 before connecting', async () => {
    const r = await cli(['topics', 'create', '--partitions', '0'], env(prefix));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--partitions: expected a positive integer/);
    const r2 = await cli(['topics', 'create'], { ...env(prefix), RISKSTREAM_KAFKA_BROKERS: 'no-port' });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/kafka\.brokers/);
    const r3 = await cli(['topics', 'create'], env('bad prefix/'));
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/kafka\.topicPrefix/);
  });

  it('--replication above the broker count is refused (exit 1)', async () => {
    const brokers = (await admin.describeCluster()).brokers.length;
    const r = await cli(['topics', 'create', '--replication', String(brokers + 1)], env(prefix));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/more than the \d+ broker/);
  });
});
