// The Kafka topics of CONTRACT.md §5 and their settings, and `ensureTopics`, which creates the
// missing ones and verifies every one (partition count, replication, cleanup.policy,
// min.insync.replicas). An existing topic that does not match is reported, never deleted or
// recreated: that would lose data, and is an operator's decision.
import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS: under Node's ESM loader only its default export (module.exports) is reliable
const { ConfigResourceTypes } = kafkajs;

/** DEFAULT_PARTITIONS: partitions of the keyed, consumer-group topics (telemetry, enforcement, DLQ). */
export const DEFAULT_PARTITIONS = 6;

const DAY_MS = 86_400_000;

/** TOPIC: the contract names of the topics, without the configurable prefix. */
export const TOPIC = {
  weatherWarnings: 'risk.weather.warnings',
  weatherNowcast: 'risk.weather.nowcast',
  mineTelemetry: 'risk.mine.telemetry',
  gridTelemetry: 'risk.grid.telemetry',
  siteTelemetry: 'risk.site.telemetry',
  enforcementEvents: 'risk.enforcement.events',
  /** casualty signals of other sources (120, hospital, 110, public opinion), keyed by the nearest site */
  casualtySignals: 'risk.signals.casualty',
  roadEvents: 'risk.road.events',
  fireEvents: 'risk.fire.events',
  alerts: 'risk.alerts',
  alertsState: 'risk.alerts.state',
  /** NEW (to be added to CONTRACT §5): operator commands every instance applies. */
  alertsCommands: 'risk.alerts.commands',
  dlq: 'risk.dlq',
  /** NEW: the notification log shared by every instance (what was texted to whom, Alertmanager's nflog) */
  notifications: 'risk.notifications',
  /**
   * internal: keyed-topic records that arrived on another partition than their siteId's (a
   * producer with another partitioner, a record keyed by something else or unkeyed), forwarded
   * here keyed by siteId so the owner of the site evaluates them (as a Kafka Streams repartition topic)
   */
  repartition: 'risk.repartition',
  /** the audit trail: every instance process's hash chain of alert events, silences and texts (riskstream audit verify --kafka) */
  audit: 'risk.audit',
} as const;
export type TopicName = (typeof TOPIC)[keyof typeof TOPIC];

/**
 * PartitionRule: `exact` — the topic's meaning depends on its partition count (one total order:
 * `seq` = offset + 1, an Update after its Alert); `atLeast` — keyed and shared by a consumer
 * group (or read in full), so more partitions are fine and fewer cap the parallelism.
 */
export type PartitionRule = 'exact' | 'atLeast';

/** TopicSpec: one topic as riskstream needs it. */
export interface TopicSpec {
  /** contract name (without prefix) */
  base: TopicName;
  /** full topic name: prefix + base */
  topic: string;
  /** what the record key is */
  key: string;
  /** who reads it and why these settings */
  purpose: string;
  partitions: number;
  partitionRule: PartitionRule;
  replication: number;
  /** topic configs set at creation */
  configs: Record<string, string>;
  /** the configs that matter for correctness; checked on existing topics */
  verify: readonly string[];
}

/** TopicOptions: N for the keyed topics (default 6) and the replication factor (see defaultReplication). */
export interface TopicOptions {
  partitions?: number;
  replication: number;
}

/** defaultReplication: min(3, brokers in the cluster). */
export function defaultReplication(brokers: number): number {
  return Math.max(1, Math.min(3, brokers));
}

/**
 * minInsyncFor: 2 when replication ≥ 3 (acks=all survives one broker down and still needs two
 * copies), else 1 (with 1 or 2 replicas a value of 2 would block every write while one is down).
 */
export function minInsyncFor(replication: number): number {
  return replication >= 3 ? 2 : 1;
}

const VERIFY = ['cleanup.policy', 'min.insync.replicas'] as const;

/**
 * TOPIC_SPECS: the topics of CONTRACT §5 (plus risk.alerts.commands) for a prefix. The prefix is
 * prepended as is (`prod.` → `prod.risk.alerts`).
 */
export function TOPIC_SPECS(prefix: string, opts: TopicOptions): TopicSpec[] {
  const n = opts.partitions ?? DEFAULT_PARTITIONS;
  const rf = opts.replication;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`partitions must be a positive integer, got ${n}`);
  if (!Number.isInteger(rf) || rf < 1) throw new RangeError(`replication must be a positive integer, got ${rf}`);
  const base = { replication: rf, verify: VERIFY };
  const del = (retentionMs: number): Record<string, string> => ({
    'cleanup.policy': 'delete',
    'retention.ms': String(retentionMs),
    'min.insync.replicas': String(minInsyncFor(rf)),
  });
  const spec = (s: Omit<TopicSpec, 'topic' | 'replication' | 'verify'>): TopicSpec => ({ ...base, ...s, topic: prefix + s.base });
  const keyed = (name: TopicName, what: string): TopicSpec =>
    spec({
      base: name,
      key: 'siteId',
      purpose: `${what}; keyed by siteId so all state of a site lives in the instance owning its partition; one consumer group shares the ${n} partitions`,
      partitions: n,
      partitionRule: 'atLeast',
      configs: del(7 * DAY_MS),
    });
  return [
    spec({
      base: TOPIC.weatherWarnings,
      key: 'warning id',
      purpose: 'weather warnings, read in full by every instance (global table); 1 partition keeps an Update/Cancel after the warning it references',
      partitions: 1,
      partitionRule: 'exact',
      configs: del(7 * DAY_MS),
    }),
    spec({
      base: TOPIC.weatherNowcast,
      key: 'cell id',
      purpose: 'radar/lightning nowcast cells, read in full by every instance; short-lived, so 1 day of retention',
      partitions: 1,
      partitionRule: 'exact',
      configs: del(DAY_MS),
    }),
    keyed(TOPIC.mineTelemetry, 'coal-mine safety monitoring readings and power-off feedback'),
    keyed(TOPIC.gridTelemetry, 'power-grid readings and breaker events'),
    keyed(TOPIC.siteTelemetry, 'other sites’ readings'),
    keyed(TOPIC.enforcementEvents, 'hazards, permits, accidents, inspections'),
    keyed(TOPIC.casualtySignals, 'casualty signals of other sources (120 dispatch, hospital, 110, public opinion), compared with accident reports'),
    keyed(TOPIC.roadEvents, 'vehicle alarms from transport operators’ monitoring platforms'),
    keyed(TOPIC.fireEvents, 'fire alarm controller events of buildings and venues'),
    keyed(
      TOPIC.repartition,
      'internal: records of the keyed topics that a producer put on another partition than their siteId’s, forwarded with their bytes and headers (x-source-topic names the contract topic); must have the same partition count as the keyed topics',
    ),
    spec({
      base: TOPIC.alerts,
      key: 'fingerprint',
      purpose: 'alert events in one total order: 1 partition, seq = offset + 1; read in full by every instance’s WebSocket hub',
      partitions: 1,
      partitionRule: 'exact',
      configs: del(30 * DAY_MS),
    }),
    spec({
      base: TOPIC.alertsState,
      key: 'fingerprint',
      purpose:
        'latest alert per fingerprint (compacted), read in full by every instance at start to restore open alerts; ' +
        '1 partition: low volume (one record per transition, compacted to one per fingerprint), one high watermark to reach before ready, ' +
        'no consumer group splits it (more partitions are tolerated: readers read all of them)',
      partitions: 1,
      partitionRule: 'atLeast',
      configs: {
        'cleanup.policy': 'compact',
        // the cleaner compacts only closed segments: roll every 6 h so superseded states go
        'segment.ms': String(6 * 3_600_000),
        // a tombstone (resolved alert past retention) stays a day, so a restoring reader sees it
        'delete.retention.ms': String(DAY_MS),
        'min.cleanable.dirty.ratio': '0.1',
        'min.insync.replicas': String(minInsyncFor(rf)),
      },
    }),
    spec({
      base: TOPIC.alertsCommands,
      key: 'alert id (ack, resolve) or silence id',
      purpose:
        'acknowledgements, manual resolves and silences made on any instance; every instance reads it in full and applies them, ' +
        'including the one that owns the alert’s escalation timers; 1 partition keeps commands in the order they were made',
      partitions: 1,
      partitionRule: 'exact',
      configs: del(7 * DAY_MS),
    }),
    spec({
      base: TOPIC.notifications,
      key: 'notification key (alert, transition, level, phone)',
      purpose:
        'the texts sent (and failed, and their delivery receipts), read in full by every instance: the instance that takes over a site knows what the old owner already texted, ' +
        'so it sends what is missing and repeats nothing; compacted (latest record per key) and kept 30 days',
      partitions: 1,
      partitionRule: 'atLeast',
      configs: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(30 * DAY_MS), 'min.insync.replicas': String(minInsyncFor(rf)) },
    }),
    spec({
      base: TOPIC.audit,
      key: 'writer (one instance process)',
      purpose:
        'the audit trail (tamper evidence): each instance process appends its alert events, silences and texts as a hash chain of its own; ' +
        '`riskstream audit verify --kafka` finds an edited, removed or moved record; never compacted, kept until deleted by hand (retention.ms -1)',
      partitions: 1,
      partitionRule: 'atLeast',
      configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'min.insync.replicas': String(minInsyncFor(rf)) },
    }),
    spec({
      base: TOPIC.dlq,
      key: 'original key',
      purpose: 'messages that can never succeed, with x-source-* and x-error-* headers; kept 30 days for inspection and replay',
      partitions: n,
      partitionRule: 'atLeast',
      configs: del(30 * DAY_MS),
    }),
  ];
}

/** topicNameProblem: why a topic name is not legal in Kafka (legal characters, length), or undefined. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length > 249) return `topic name "${name}" is longer than 249 characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `topic name "${name}" may contain only ASCII letters, digits, '.', '_' and '-'`;
  return undefined;
}

/** TopicStatus: created (and verified), ok (existed and matches), mismatch, error (could not create or inspect). */
export type TopicStatus = 'created' | 'ok' | 'mismatch' | 'error';

/** TopicActual: what the cluster has. */
export interface TopicActual {
  partitions: number;
  /** the smallest replica count over the partitions */
  replication: number;
  configs: Record<string, string>;
}

/** TopicReport: the outcome for one topic; `problems` name the setting, what it is and what it must be. */
export interface TopicReport {
  spec: TopicSpec;
  status: TopicStatus;
  problems: string[];
  actual?: TopicActual;
}

/** TopicsLogger: the part of a pino logger ensureTopics uses. */
export interface TopicsLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const errMessage = (e: unknown): string => {
  const err = e as { message?: string; errors?: unknown[] };
  const inner = Array.isArray(err?.errors) && err.errors.length > 0 ? ` (${err.errors.map((x) => (x as Error)?.message ?? String(x)).join('; ')})` : '';
  return `${err?.message ?? String(e)}${inner}`;
};

/** normPolicy: "compact, delete" and "delete,compact" compare equal. */
const normPolicy = (v: string): string =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort()
    .join(',');

/** compareTopic: the problems of an existing topic against its spec (empty: it matches). */
export function compareTopic(spec: TopicSpec, actual: TopicActual): string[] {
  const problems: string[] = [];
  const t = spec.topic;
  if (spec.partitionRule === 'exact' && actual.partitions !== spec.partitions) {
    problems.push(
      `partitions=${actual.partitions}, expected exactly ${spec.partitions} (${spec.partitions === 1 ? 'one total order' : 'fixed'}; partitions cannot be reduced: ` +
        `move to a new topic prefix or recreate the topic deliberately, losing its data)`,
    );
  } else if (spec.partitionRule === 'atLeast' && actual.partitions < spec.partitions) {
    problems.push(
      `partitions=${actual.partitions}, expected at least ${spec.partitions} (raise with \`kafka-topics.sh --alter --topic ${t} --partitions ${spec.partitions}\` ` +
        `while the consumer group is stopped: keys move to other partitions)`,
    );
  }
  if (actual.replication < spec.replication) {
    problems.push(`replication=${actual.replication}, expected at least ${spec.replication} (raise with kafka-reassign-partitions.sh)`);
  }
  for (const name of spec.verify) {
    const want = spec.configs[name];
    if (want === undefined) continue;
    const have = actual.configs[name];
    const same = name === 'cleanup.policy' ? have !== undefined && normPolicy(have) === normPolicy(want) : have === want;
    if (!same) {
      problems.push(
        `${name}=${have ?? '(unknown)'}, expected ${want} (fix with \`kafka-configs.sh --alter --entity-type topics --entity-name ${t} --add-config ${name}=${want}\`)`,
      );
    }
  }
  return problems;
}

/** withRetry retries a metadata call a few times: fresh topics take a moment to reach every broker. */
async function withRetry<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 300 * i));
    }
  }
}

/**
 * ensureTopics creates the missing topics (validateOnly false, waitForLeaders true), then reads
 * back every topic's partitions, replicas and the verified configs (describeConfigs) and
 * compares them with its spec. Never deletes or recreates. Resolves to one report per spec, in
 * order; throws only when the cluster cannot be asked at all.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[], logger: TopicsLogger, opts: { timeoutMs?: number } = {}): Promise<TopicReport[]> {
  const timeout = opts.timeoutMs ?? 15_000;
  const existing = new Set(await admin.listTopics());
  const created = new Set<string>();
  const failed = new Map<string, string>();
  for (const spec of specs) {
    if (existing.has(spec.topic)) continue;
    // kafkajs's waitForLeaders can report UNKNOWN_TOPIC_OR_PARTITION ("does not host this
    // topic-partition") while metadata propagates: the topic may exist anyway, so look, then retry.
    for (let attempt = 1; ; attempt++) {
      try {
        const made = await admin.createTopics({
          validateOnly: false,
          waitForLeaders: true,
          timeout,
          topics: [
            {
              topic: spec.topic,
              numPartitions: spec.partitions,
              replicationFactor: spec.replication,
              configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
            },
          ],
        });
        // false: it already exists (created concurrently by another instance or job); verified below like any existing topic
        if (made) {
          created.add(spec.topic);
          logger.info({ topic: spec.topic, partitions: spec.partitions, replication: spec.replication, configs: spec.configs }, 'topic created');
        } else {
          logger.info({ topic: spec.topic }, 'topic already exists');
        }
        break;
      } catch (e) {
        await new Promise((r) => setTimeout(r, 500 * attempt));
        if ((await admin.listTopics().catch(() => [] as string[])).includes(spec.topic)) {
          created.add(spec.topic);
          logger.info({ topic: spec.topic, note: errMessage(e) }, 'topic created (leaders were still being elected)');
          break;
        }
        if (attempt < 3) continue;
        failed.set(spec.topic, errMessage(e));
        logger.warn({ topic: spec.topic, err: errMessage(e) }, 'topic creation failed');
        break;
      }
    }
  }

  const present = specs.filter((s) => !failed.has(s.topic)).map((s) => s.topic);
  const actual = new Map<string, TopicActual>();
  if (present.length > 0) {
    const md = await withRetry(() => admin.fetchTopicMetadata({ topics: present }));
    for (const t of md.topics) {
      const replication = t.partitions.length === 0 ? 0 : Math.min(...t.partitions.map((p) => p.replicas.length));
      actual.set(t.name, { partitions: t.partitions.length, replication, configs: {} });
    }
    const names = [...new Set(specs.flatMap((s) => s.verify))];
    const described = await withRetry(() =>
      admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: names })),
      }),
    );
    for (const r of described.resources) {
      const a = actual.get(r.resourceName);
      if (!a) continue;
      if (r.errorCode !== 0) {
        failed.set(r.resourceName, `describeConfigs: error ${r.errorCode} ${r.errorMessage ?? ''}`.trim());
        continue;
      }
      for (const e of r.configEntries) a.configs[e.configName] = e.configValue;
    }
  }

  return specs.map((spec): TopicReport => {
    const err = failed.get(spec.topic);
    if (err !== undefined) return { spec, status: 'error', problems: [err] };
    const a = actual.get(spec.topic);
    if (!a) return { spec, status: 'error', problems: ['not found in the cluster metadata after creation'] };
    const problems = compareTopic(spec, a);
    if (problems.length > 0) {
      logger.warn({ topic: spec.topic, problems }, 'topic does not match its spec');
      return { spec, status: 'mismatch', problems, actual: a };
    }
    return { spec, status: created.has(spec.topic) ? 'created' : 'ok', problems: [], actual: a };
  });
}
