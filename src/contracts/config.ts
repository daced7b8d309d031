import { z } from 'zod';
import { Duration, Severity } from './common.ts';

const HostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

/** Config: the configuration file (CONTRACT.md §7); unknown keys are errors. */
export const Config = z.strictObject({
  mode: z.enum(['embedded', 'kafka']).default('embedded'),
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8080),
      allowedOrigins: z.array(z.string()).default([]),
      bodyLimitBytes: z.number().int().positive().default(4 * 1024 * 1024),
    })
    .prefault({}),
  dataDir: z.string().default('./data'),
  secret: z.string().min(16, 'secret must be at least 16 characters').optional(),
  reference: z
    .strictObject({
      sites: z.string().optional(),
      roster: z.string().optional(),
      calendar: z.string().optional(),
      /** GeoJSON outlines of the banner and its towns for the dashboard map (default: the bundled schematic ones) */
      outlines: z.string().optional(),
    })
    .prefault({}),
  rules: z.strictObject({ dir: z.string().optional(), lateness: Duration.default(120_000) }).prefault({}),
  kafka: z
    .strictObject({
      brokers: z.array(HostPort).default(['127.0.0.1:9092']),
      clientId: z.string().default('riskstream'),
      groupId: z.string().default('riskstream'),
      topicPrefix: z.string().default(''),
      /** SASL authentication (a secured cluster); the password is best given as RISKSTREAM_KAFKA_SASL_PASSWORD */
      sasl: z
        .strictObject({
          mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
          username: z.string().min(1),
          password: z.string().min(1),
        })
        .optional(),
      /** TLS to the brokers: `enabled`, an optional CA bundle (PEM file) for a private CA, and certificate checking (on unless said otherwise) */
      ssl: z
        .strictObject({
          enabled: z.boolean().default(false),
          ca: z.string().min(1).optional(),
          rejectUnauthorized: z.boolean().default(true),
        })
        .prefault({}),
    })
    .prefault({}),
  influx: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(1).max(65535).default(8086),
      database: z.string().default('riskstream'),
      /** `https` for a TLS-enabled InfluxDB ([http] https-enabled, or InfluxDB 2.x / Cloud behind TLS) */
      protocol: z.enum(['http', 'https']).default('http'),
      /** InfluxDB 1.x user (auth-enabled), or a 2.x v1-compatibility user (`influx v1 auth create`) */
      username: z.string().min(1).optional(),
      /** the user's password; best given as RISKSTREAM_INFLUX_PASSWORD (never logged) */
      password: z.string().min(1).optional(),
      /** TLS (protocol https): an optional CA bundle (PEM file) for a private CA, and certificate checking (on unless said otherwise) */
      ssl: z
        .strictObject({
          ca: z.string().min(1).optional(),
          rejectUnauthorized: z.boolean().default(true),
        })
        .prefault({}),
    })
    .optional(),
  sms: z
    .strictObject({
      provider: z.enum(['log', 'http', 'smpp']).default('log'),
      url: z.url().optional(),
      smpp: z
        .strictObject({
          host: z.string(),
          port: z.number().int().min(1).max(65535),
          systemId: z.string(),
          password: z.string(),
          sourceAddr: z.string(),
        })
        .optional(),
      ratePerMinute: z.number().int().positive().default(30),
    })
    .prefault({}),
  escalation: z
    .strictObject({ red: Duration.default(300_000), orange: Duration.default(900_000), repeat: Duration.default(1_800_000) })
    .prefault({}),
  notify: z
    .strictObject({
      /** the least severe alert that is texted */
      minSeverity: Severity.default('orange'),
      groupWait: Duration.default(5_000),
      groupInterval: Duration.default(60_000),
      /** the daily duty report (值班日报), a cron expression in Asia/Shanghai time */
      dutyReport: z.string().default('0 8 * * *'),
      /** an alert raised from an event older than this (back-fill, replay) is shown and journaled, marked 补录, but not texted as new */
      maxEventAge: Duration.default(900_000),
      /**
       * the company's own contacts (sites.yaml `contacts`): texted the actions meant for the site when
       * an alert at least this severe fires there, asked to confirm them (POST /api/v1/alerts/{id}/confirm);
       * an alert not confirmed within `confirmWithin` is marked 企业未反馈 and the duty officer is texted
       */
      siteContacts: z
        .strictObject({
          enabled: z.boolean().default(true),
          minSeverity: Severity.default('orange'),
          confirmWithin: Duration.default(1_800_000),
        })
        .prefault({}),
    })
    .prefault({}),
  /** resolved alerts and ended silences are kept this long */
  retention: Duration.default(7 * 86_400_000),
  ws: z
    .strictObject({
      heartbeat: Duration.default(15_000),
      maxBufferedBytes: z.number().int().positive().default(8 * 1024 * 1024),
      replayBuffer: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  snapshotEvery: Duration.default(60_000),
  ingest: z
    .strictObject({
      /** `refuse`: an event naming a site missing from the reference data is refused (UNKNOWN_SITE); `accept`: evaluated anyway */
      unknownSites: z.enum(['refuse', 'accept']).default('refuse'),
    })
    .prefault({}),
  /** hard bounds on state keyed by input; reaching one raises one system alert and counts in riskstream_limit_* */
  limits: z
    .strictObject({
      /** rule-state subjects (sensors, equipment) per site that are not expected sensors of the reference data */
      subjectsPerSite: z.number().int().positive().default(2000),
      /** open enforcement records (hazards, permits, accidents awaiting a report) per site; never forgotten by idleness */
      recordsPerSite: z.number().int().positive().default(5000),
      /** a subject that is not an expected sensor is forgotten after this long without an event */
      subjectIdle: Duration.default(3_600_000),
      /** open alerts at one site; more are merged into one overflow alert */
      openAlertsPerSite: z.number().int().positive().default(200),
      /** open alerts of one rule across all sites; more are merged into one overflow alert */
      openAlertsPerRule: z.number().int().positive().default(5000),
      /** weather warnings in force */
      warnings: z.number().int().positive().default(500),
      /** silences held (active and pending) */
      silences: z.number().int().positive().default(1000),
      /** acknowledgements kept on one alert (a repeated ack by the same person changes nothing) */
      acksPerAlert: z.number().int().positive().default(20),
      /** `subscribe` frames one WebSocket connection may send per second before it is closed */
      wsSubscribePerSecond: z.number().int().positive().default(5),
      /** texts waiting for one phone number; more are folded into one summary text */
      textsQueuedPerNumber: z.number().int().positive().default(20),
    })
    .prefault({}),
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
