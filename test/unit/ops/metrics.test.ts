// Metrics (src/metrics.ts): Node's default metrics under their standard names; Kafka mode's stats as
// separate counters (_total) and gauges, each with the right TYPE.
import { describe, expect, it } from 'vitest';
import { KAFKA_STATS, countFailures, createMetrics, registerClusterStats, registerReadiness } from '../../../src/metrics.ts';
import { startTestApp } from '../../helpers/app.ts';

const typeOf = (page: string, name: string) => page.match(new RegExp(`^# TYPE ${name} (\\w+)$`, 'm'))?.[1];
const valueOf = (page: string, name: string) => Number(page.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);

describe('metrics', () => {
  it('Node default metrics keep their standard names (stock Node.js dashboards)', async () => {
    const page = await createMetrics().registry.metrics();
    for (const n of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_version_info']) {
      expect(typeOf(page, n), n).toBeDefined();
    }
    expect(page).not.toMatch(/^riskstream_(process|nodejs)_/m);
  });

  it('Kafka stats are separate counters and gauges with their values', async () => {
    const m = createMetrics();
    let stats: Record<string, number> = { rebalances: 2, consumerRestarts: 1, producerRestarts: 0, sendRetries: 5, warmupEvents: 40, deadLetters: 3, commits: 17, forwarded: 9, repartitioned: 8, assignedPartitions: 6, keyedPartitions: 3, lag: 120, alertLogPosition: 77 };
    registerClusterStats(m, () => stats);
    let page = await m.registry.metrics();
    expect(page).not.toMatch(/^riskstream_kafka\{/m);
    for (const [key, d] of Object.entries(KAFKA_STATS)) {
      expect(typeOf(page, d.name), d.name).toBe(d.type);
      expect(d.name.endsWith('_total'), d.name).toBe(d.type === 'counter');
      expect(valueOf(page, d.name), d.name).toBe(stats[key]);
    }
    // gauges go down, counters follow the source
    stats = { ...stats, lag: 0, assignedPartitions: 2, commits: 20 };
    await new Promise((r) => setTimeout(r, 60));
    page = await m.registry.metrics();
    expect(valueOf(page, 'riskstream_kafka_consumer_lag')).toBe(0);
    expect(valueOf(page, 'riskstream_kafka_assigned_partitions')).toBe(2);
    expect(valueOf(page, 'riskstream_kafka_commits_total')).toBe(20);
  });

  it('every field the Kafka cluster reports is mapped (read from src/adapters/kafka/cluster.ts)', async () => {
    const { readFileSync } = await import('node:fs');
    const src = readFileSync(new URL('../../../src/adapters/kafka/cluster.ts', import.meta.url), 'utf8');
    const stat = src.match(/const stat = \{([^}]*)\}/)?.[1] ?? '';
    const extra = src.match(/return \{ \.\.\.stat, ([^\n]*) \};/)?.[1] ?? '';
    // `a: 0, b: 0` and `x: expr, y, z: expr`: the key is what comes before the colon of each item
    const keys = [...stat.split(','), ...extra.split(/,(?![^(]*\))/)].map((item) => item.split(':')[0]!.trim()).filter(Boolean);
    expect(keys.length).toBeGreaterThanOrEqual(12);
    for (const k of keys) expect(KAFKA_STATS, k).toHaveProperty(k);
  });

  it('countFailures counts rejected calls of the named methods and passes the error on; class instances keep their private fields', async () => {
    class Journal {
      #n = 0;
      async append(ok: boolean) {
        this.#n++;
        if (!ok) throw new Error('disk full');
        return this.#n;
      }
      async load() {
        throw new Error('not counted');
      }
      get count() {
        return this.#n;
      }
    }
    let failures = 0;
    const j = countFailures(new Journal(), { append: () => failures++ });
    expect(await j.append(true)).toBe(1);
    await expect(j.append(false)).rejects.toThrow('disk full');
    await expect(j.load()).rejects.toThrow('not counted');
    expect(failures).toBe(1);
    expect(j.count).toBe(2);
  });

  it('riskstream_ready follows readiness; the app exports it and riskstream_journal_errors_total', async () => {
    const m = createMetrics();
    let ready = false;
    registerReadiness(m, () => ready);
    expect(valueOf(await m.registry.metrics(), 'riskstream_ready')).toBe(0);
    ready = true;
    expect(valueOf(await m.registry.metrics(), 'riskstream_ready')).toBe(1);
    const app = await startTestApp();
    try {
      const page = await (await fetch(`${app.baseUrl}/metrics`)).text();
      expect(valueOf(page, 'riskstream_ready')).toBe(1);
      expect(typeOf(page, 'riskstream_journal_errors_total')).toBe('counter');
      expect(typeOf(page, 'process_cpu_seconds_total')).toBe('counter');
    } finally {
      await app.destroy();
    }
  });
});
