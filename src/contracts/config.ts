import { z } from 'zod';
import { Duration, Severity } from './common.ts';

const HostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

/** Config: the configuration file (CONTRACT.md §7); unknown keys are errors. */
export const Config = z.strictObject({
  mode: z.enum(['embedded', 'kafka']).default('embedded').describe('embedded: one process, events by HTTP and files; kafka: events from Kafka topics, several instances share the sites'),
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0').describe('address the HTTP server listens on'),
      port: z.number().int().min(0).max(65535).default(8080).describe('HTTP port (0: any free port)'),
      allowedOrigins: z.array(z.string()).default([]).describe('browser origins allowed by CORS and for WebSocket upgrades, e.g. https://screen.example; empty: same origin only'),
      bodyLimitBytes: z.number().int().positive().default(4 * 1024 * 1024).describe('largest accepted request body in bytes (default 4 MiB)'),
    })
    .prefault({}).describe('HTTP server: listen address, CORS origins, body size limit'),
  dataDir: z.string().default('./data').describe('directory of the journal, snapshots and notification log (embedded adapters)'),
  secret: z.string().min(16, 'secret must be at least 16 characters').optional().describe('HMAC secret signing API tokens, at least 16 characters; best given as RISKSTREAM_SECRET'),
  reference: z
    .strictObject({
      sites: z.string().optional().describe('path of sites.yaml (default: the bundled deploy/reference/sites.yaml)'),
      roster: z.string().optional().describe('path of the duty roster YAML (default: the bundled one)'),
      calendar: z.string().optional().describe('path of the special-period calendar YAML (default: the bundled one)'),
      outlines: z.string().optional().describe('GeoJSON outlines of the banner and its towns for the dashboard map (default: the bundled schematic ones)'),
    })
    .prefault({}).describe('reference data files: sites, roster, calendar, map outlines'),
  rules: z.strictObject({ dir: z.string().optional().describe('directory of the rule pack *.yaml (default: the bundled deploy/rules)'), lateness: Duration.default(120_000).describe('how late an event may arrive and still be evaluated in order (e.g. 2m)') }).prefault({}).describe('the rule pack: its directory and the allowed lateness of events'),
  kafka: z
    .strictObject({
      brokers: z.array(HostPort).default(['127.0.0.1:9092']).describe('Kafka bootstrap brokers as host:port'),
      clientId: z.string().default('riskstream').describe('Kafka client id, shown in broker logs; should differ per instance'),
      groupId: z.string().default('riskstream').describe('Kafka consumer group; instances of one deployment share it'),
      topicPrefix: z.string().default('').describe('prefix put before every topic name, e.g. prod. → prod.risk.mine.telemetry'),
      sasl: z
        .strictObject({
          mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism: plain, scram-sha-256 or scram-sha-512 (as the cluster is set up)'),
          username: z.string().min(1).describe('SASL user name (the cluster account of riskstream)'),
          password: z.string().min(1).describe('SASL password; best given as RISKSTREAM_KAFKA_SASL_PASSWORD'),
        })
        .optional().describe('SASL authentication (a secured cluster); the password is best given as RISKSTREAM_KAFKA_SASL_PASSWORD'),
      ssl: z
        .strictObject({
          enabled: z.boolean().default(false).describe('use TLS to the brokers'),
          ca: z.string().min(1).optional().describe('CA bundle (PEM file path) for a private CA'),
          rejectUnauthorized: z.boolean().default(true).describe('check the server certificate (turn off only for testing)'),
        })
        .prefault({}).describe('TLS to the brokers: `enabled`, an optional CA bundle (PEM file) for a private CA, and certificate checking (on unless said otherwise)'),
    })
    .prefault({}).describe('Kafka connection (mode kafka)'),
  influx: z
    .strictObject({
      host: z.string().default('127.0.0.1').describe('InfluxDB host name or address'),
      port: z.number().int().min(1).max(65535).default(8086).describe('InfluxDB HTTP API port'),
      database: z.string().default('riskstream').describe('InfluxDB 1.x database (2.x: the DBRP-mapped bucket)'),
      protocol: z.enum(['http', 'https']).default('http').describe('`https` for a TLS-enabled InfluxDB ([http] https-enabled, or InfluxDB 2.x / Cloud behind TLS)'),
      username: z.string().min(1).optional().describe('InfluxDB 1.x user (auth-enabled), or a 2.x v1-compatibility user (`influx v1 auth create`)'),
      password: z.string().min(1).optional().describe('the user\'s password; best given as RISKSTREAM_INFLUX_PASSWORD (never logged)'),
      ssl: z
        .strictObject({
          ca: z.string().min(1).optional().describe('CA bundle (PEM file path) for a private CA'),
          rejectUnauthorized: z.boolean().default(true).describe('check the server certificate (turn off only for testing)'),
        })
        .prefault({}).describe('TLS (protocol https): an optional CA bundle (PEM file) for a private CA, and certificate checking (on unless said otherwise)'),
    })
    .optional().describe('InfluxDB for telemetry history (absent: history kept in memory only); InfluxDB 1.8+ or 2.x through its v1 API'),
  sms: z
    .strictObject({
      provider: z.enum(['log', 'http', 'smpp']).default('log').describe('log: texts are only logged (numbers masked); http: POSTed to sms.url; smpp: sent over SMPP (sms.smpp)'),
      url: z.url().optional().describe('SMS gateway URL (provider http)'),
      smpp: z
        .strictObject({
          host: z.string().describe('SMPP server host'),
          port: z.number().int().min(1).max(65535).describe('SMPP server port'),
          systemId: z.string().describe('SMPP system id (account)'),
          password: z.string().describe('SMPP password; best given by environment'),
          sourceAddr: z.string().describe('sender number or short code'),
        })
        .optional().describe('SMPP connection (provider smpp)'),
      ratePerMinute: z.number().int().positive().default(30).describe('texts sent per minute at most (the rest queue)'),
    })
    .prefault({}).describe('text messages (短信)'),
  escalation: z
    .strictObject({ red: Duration.default(300_000).describe('an unacknowledged red alert is texted to the leader after this long (default 5m)'), orange: Duration.default(900_000).describe('an unacknowledged orange alert is texted to the leader after this long (default 15m)'), repeat: Duration.default(1_800_000).describe('an alert still unacknowledged is texted again every this long (default 30m)') })
    .prefault({}).describe('when unacknowledged alerts are texted up the duty chain'),
  notify: z
    .strictObject({
      minSeverity: Severity.default('orange').describe('the least severe alert that is texted (blue < yellow < orange < red)'),
      groupWait: Duration.default(5_000).describe('wait this long to group the first texts of new alerts (default 5s)'),
      groupInterval: Duration.default(60_000).describe('at most one grouped text per recipient per this long (≥ groupWait, default 1m)'),
      dutyReport: z.string().default('0 8 * * *').describe('the daily duty report (值班日报), a cron expression in Asia/Shanghai time'),
      maxEventAge: Duration.default(900_000).describe('an alert raised from an event older than this (back-fill, replay) is shown and journaled, marked 补录, but not texted as new'),
      siteContacts: z
        .strictObject({
          enabled: z.boolean().default(true).describe("text the company's own contacts"),
          minSeverity: Severity.default('orange').describe('least severe alert texted to the company contacts (blue < yellow < orange < red)'),
          confirmWithin: Duration.default(1_800_000).describe('an alert not confirmed by the company within this long is marked 企业未反馈 and the duty officer texted (default 30m)'),
        })
        .prefault({}).describe('the company\'s own contacts (sites.yaml `contacts`): texted the actions meant for the site when an alert at least this severe fires there, asked to confirm them (POST /api/v1/alerts/{id}/confirm); an alert not confirmed within `confirmWithin` is marked 企业未反馈 and the duty officer is texted'),
    })
    .prefault({}).describe('who is texted what, and when'),
  /** resolved alerts and ended silences are kept this long */
  retention: Duration.default(7 * 86_400_000).describe('resolved alerts and ended silences are kept this long (default 7d)'),
  ws: z
    .strictObject({
      heartbeat: Duration.default(15_000).describe('WebSocket heartbeat period (default 15s)'),
      maxBufferedBytes: z.number().int().positive().default(8 * 1024 * 1024).describe('a screen whose unsent data exceeds this many bytes is disconnected (default 8 MiB)'),
      replayBuffer: z.number().int().positive().default(10_000).describe('alert events kept for screens resuming with since'),
    })
    .prefault({}).describe('WebSocket screens: heartbeat, send buffer, replay buffer'),
  snapshotEvery: Duration.default(60_000).describe('how often alert state is snapshotted to dataDir (default 1m)'),
  ingest: z
    .strictObject({
      unknownSites: z.enum(['refuse', 'accept']).default('refuse').describe('`refuse`: an event naming a site missing from the reference data is refused (UNKNOWN_SITE); `accept`: evaluated anyway'),
    })
    .prefault({}).describe('what input is accepted'),
  limits: z
    .strictObject({
      subjectsPerSite: z.number().int().positive().default(2000).describe('rule-state subjects (sensors, equipment) per site that are not expected sensors of the reference data'),
      recordsPerSite: z.number().int().positive().default(5000).describe('open enforcement records (hazards, permits, accidents awaiting a report) per site; never forgotten by idleness'),
      subjectIdle: Duration.default(3_600_000).describe('a subject that is not an expected sensor is forgotten after this long without an event'),
      openAlertsPerSite: z.number().int().positive().default(200).describe('open alerts at one site; more are merged into one overflow alert'),
      openAlertsPerRule: z.number().int().positive().default(5000).describe('open alerts of one rule across all sites; more are merged into one overflow alert'),
      warnings: z.number().int().positive().default(500).describe('weather warnings in force'),
      silences: z.number().int().positive().default(1000).describe('silences held (active and pending)'),
      acksPerAlert: z.number().int().positive().default(20).describe('acknowledgements kept on one alert (a repeated ack by the same person changes nothing)'),
      wsSubscribePerSecond: z.number().int().positive().default(5).describe('`subscribe` frames one WebSocket connection may send per second before it is closed'),
      textsQueuedPerNumber: z.number().int().positive().default(20).describe('texts waiting for one phone number; more are folded into one summary text'),
    })
    .prefault({}).describe('hard bounds on state keyed by input; reaching one raises one system alert and counts in riskstream_limit_*'),
}).superRefine((c, ctx) => {
  if (c.notify.groupInterval < c.notify.groupWait) {
    ctx.addIssue({ code: 'custom', path: ['notify', 'groupInterval'], message: `notify.groupInterval (${c.notify.groupInterval} ms) must be ≥ notify.groupWait (${c.notify.groupWait} ms)` });
  }
  if (c.sms.provider === 'http' && !c.sms.url) ctx.addIssue({ code: 'custom', path: ['sms', 'url'], message: 'sms.url is required when sms.provider is http' });
  if (c.sms.provider === 'smpp' && !c.sms.smpp) ctx.addIssue({ code: 'custom', path: ['sms', 'smpp'], message: 'sms.smpp is required when sms.provider is smpp' });
});
export type Config = z.infer<typeof Config>;
/** ConfigInput: the file's shape before defaults are applied. */
export type ConfigInput = z.input<typeof Config>;
