// The operations pack (deploy/monitoring, deploy/k8s/monitoring, compose's prometheus and grafana):
// - the Grafana dashboards load in a schema check: a zod schema of the required parts of Grafana's
//   dashboard model (field names and types as in @grafana/schema's Dashboard, Panel, GridPos and
//   DataSourceRef; no JSON Schema of the dashboard model is published, @grafana/schema ships only
//   TypeScript types), plus what Grafana itself would trip on: unique panel ids, refIds, a 24-column
//   grid without overlaps, data sources that are provisioned;
// - the alert rules parse as Prometheus rule groups and cover what they must;
// - every metric a rule or a panel names exists in the app's registry (a real app's /metrics plus
//   the Kafka-mode and history-store metrics registered as those modes do);
// - the PrometheusRule holds the same groups; the ServiceMonitor selects the Service's port.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { createMetrics, registerClusterStats, registerReadiness, registerRuleStats, registerSeriesStats, KAFKA_STATS } from '../../../src/metrics.ts';
import { startTestApp, type TestApp } from '../../helpers/app.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MON = join(ROOT, 'deploy/monitoring');
const DASHBOARDS = join(MON, 'grafana/dashboards');
const RULES_FILE = join(MON, 'prometheus/riskstream.rules.yml');
type Obj = Record<string, any>;
const yaml = (f: string): Obj => parse(readFileSync(f, 'utf8'), { uniqueKeys: true }) as Obj;

// ---- Grafana's dashboard model (the parts a provisioned dashboard needs) ----
const DataSourceRef = z.strictObject({ type: z.string().min(1), uid: z.string().min(1) });
const GridPos = z.object({ x: z.number().int().min(0).max(23), y: z.number().int().min(0), w: z.number().int().min(1).max(24), h: z.number().int().min(1) }).refine((g) => g.x + g.w <= 24, 'x + w must be at most 24');
const Target = z.looseObject({ refId: z.string().regex(/^[A-Z]$/), datasource: DataSourceRef }).refine((t) => typeof t.expr === 'string' || typeof t.query === 'string', 'a target has a PromQL expr or an InfluxQL query');
const PANEL_TYPES = ['timeseries', 'stat', 'table', 'gauge', 'bargauge', 'text', 'heatmap', 'barchart', 'state-timeline'] as const;
const Panel = z.looseObject({
  id: z.number().int().positive(),
  type: z.enum(PANEL_TYPES),
  title: z.string().min(1),
  datasource: DataSourceRef,
  gridPos: GridPos,
  targets: z.array(Target).min(1),
  fieldConfig: z.looseObject({ defaults: z.looseObject({}), overrides: z.array(z.unknown()) }),
  options: z.looseObject({}),
});
const RowPanel = z.looseObject({ id: z.number().int().positive(), type: z.literal('row'), title: z.string(), collapsed: z.boolean(), gridPos: GridPos, panels: z.array(Panel) });
const Variable = z.looseObject({ name: z.string().regex(/^[a-zA-Z_]\w*$/), type: z.enum(['query', 'custom', 'constant', 'interval', 'datasource', 'textbox']), datasource: DataSourceRef.optional() });
const Dashboard = z.looseObject({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(36),
  version: z.number().int().optional(),
  editable: z.boolean().optional(),
  graphTooltip: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  tags: z.array(z.string()).optional(),
  time: z.strictObject({ from: z.string(), to: z.string() }),
  refresh: z.string().optional(),
  templating: z.strictObject({ list: z.array(Variable) }),
  annotations: z.looseObject({ list: z.array(z.looseObject({ name: z.string(), datasource: DataSourceRef })) }).optional(),
  panels: z.array(z.union([Panel, RowPanel])).min(1),
});

const dashboardFiles = readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json')).sort();
const dashboards = dashboardFiles.map((f) => ({ file: f, json: JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8')) as Obj }));
const panelsOf = (d: Obj): Obj[] => (d.panels as Obj[]).flatMap((p) => [p, ...((p.panels as Obj[] | undefined) ?? [])]);
const provisioned = yaml(join(MON, 'grafana/provisioning/datasources/datasources.yml'));
const datasourceUids = new Map<string, string>((provisioned.datasources as Obj[]).map((d) => [d.uid as string, d.type as string]));

/** metric names in a PromQL expression: the riskstream_, Node (process_/nodejs_) and `up` series it selects */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:riskstream|process|nodejs)_[a-zA-Z0-9_]*)\b/g)].map((m) => m[1]!);
}

/** every metric name the app can expose, with the series suffixes of histograms and summaries */
async function exposedMetrics(app: TestApp): Promise<Set<string>> {
  const names = new Set<string>();
  const page = await (await fetch(`${app.baseUrl}/metrics`)).text();
  for (const m of page.matchAll(/^# TYPE (\S+) (\S+)$/gm)) names.add(m[1]!);
  // the metrics of the modes the test app does not run in: Kafka mode, the InfluxDB history store
  const extra = createMetrics();
  registerClusterStats(extra, () => ({}));
  registerSeriesStats(extra, () => ({ queued: 0 }));
  registerRuleStats(extra, () => ({}));
  registerReadiness(extra, () => true);
  for (const m of await extra.registry.getMetricsAsJSON()) names.add(m.name);
  for (const n of [...names]) for (const s of ['_bucket', '_sum', '_count']) names.add(n + s);
  return names;
}

describe('Grafana dashboards (deploy/monitoring/grafana/dashboards)', () => {
  it('there are the health (Prometheus) and telemetry (InfluxDB) dashboards', () => {
    expect(dashboardFiles).toEqual(['riskstream-health.json', 'riskstream-telemetry.json']);
  });

  for (const { file, json } of dashboards) {
    describe(file, () => {
      it('loads in the dashboard schema check', () => {
        const r = Dashboard.safeParse(json);
        expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
      });

      it('panel ids are unique, refIds unique per panel, panels do not overlap on the grid', () => {
        const panels = panelsOf(json);
        const ids = panels.map((p) => p.id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const p of panels.filter((x) => x.type !== 'row')) {
          const refs = (p.targets as Obj[]).map((t) => t.refId);
          expect(new Set(refs).size, p.title).toBe(refs.length);
        }
        const boxes = panels.map((p) => ({ t: p.title as string, ...(p.gridPos as { x: number; y: number; w: number; h: number }) }));
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i]!;
            const b = boxes[j]!;
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            expect(overlap, `${a.t} overlaps ${b.t}`).toBe(false);
          }
        }
      });

      it('every data source a panel, target or variable uses is provisioned, with its type', () => {
        const refs: Obj[] = [];
        for (const p of panelsOf(json)) {
          if (p.datasource) refs.push(p.datasource);
          for (const t of (p.targets as Obj[] | undefined) ?? []) refs.push(t.datasource);
        }
        for (const v of json.templating.list as Obj[]) if (v.datasource) refs.push(v.datasource);
        expect(refs.length).toBeGreaterThan(0);
        for (const r of refs) expect(datasourceUids.get(r.uid), `data source uid ${r.uid}`).toBe(r.type);
        // the InfluxDB dashboard reads the database riskstream writes (config influx.database in compose)
        const influx = (provisioned.datasources as Obj[]).find((d) => d.type === 'influxdb')!;
        expect(influx.jsonData.dbName).toBe(yaml(join(ROOT, 'deploy/docker-compose.yml')).services.influxdb.environment.INFLUXDB_DB);
      });

      it('template variables used in queries are defined', () => {
        const defined = new Set((json.templating.list as Obj[]).map((v) => v.name as string));
        for (const p of panelsOf(json)) {
          for (const t of (p.targets as Obj[] | undefined) ?? []) {
            for (const m of String(t.expr ?? t.query).matchAll(/\$(\w+)/g)) if (!/^(__|timeFilter$|tag_)/.test(m[1]!)) expect(defined, `$${m[1]} in ${p.title}`).toContain(m[1]);
          }
        }
      });
    });
  }

  it('the telemetry dashboard queries the measurement and tags the InfluxDB adapter writes', async () => {
    const { MEASUREMENT } = await import('../../../src/adapters/influx/series.ts');
    const tel = dashboards.find((d) => d.file === 'riskstream-telemetry.json')!.json;
    for (const p of panelsOf(tel)) {
      for (const t of p.targets as Obj[]) {
        expect(t.query).toContain(`FROM "${MEASUREMENT}"`);
        expect(t.query).toContain('"siteId" =~ /^$site$/');
        expect(t.query).toContain('"metric" =~ /^$metric$/');
        expect(t.query).toContain('"value"');
      }
    }
  });
});

const rules = yaml(RULES_FILE);
const RuleGroup = z.strictObject({
  name: z.string().min(1),
  interval: z.string().regex(/^\d+[smhdwy]$/).optional(),
  rules: z
    .array(
      z.strictObject({
        alert: z.string().regex(/^[A-Z][A-Za-z0-9]+$/),
        expr: z.string().min(1),
        for: z.string().regex(/^\d+[smhdwy]$/),
        labels: z.looseObject({ severity: z.enum(['critical', 'warning', 'info']) }),
        annotations: z.looseObject({ summary: z.string().min(1), description: z.string().min(1) }),
      }),
    )
    .min(1),
});
const RuleFile = z.strictObject({ groups: z.array(RuleGroup).min(1) });
const allRules = (rules.groups as Obj[]).flatMap((g) => g.rules as Obj[]);

describe('Prometheus alert rules (deploy/monitoring/prometheus/riskstream.rules.yml)', () => {
  it('parse as Prometheus rule groups: groups[].rules[] with alert, expr, for, labels.severity, annotations', () => {
    const r = RuleFile.safeParse(rules);
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
    const groupNames = (rules.groups as Obj[]).map((g) => g.name);
    expect(new Set(groupNames).size).toBe(groupNames.length);
    const names = allRules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
  });

  it('expressions are balanced and compare against something (an alert fires on a condition)', () => {
    for (const r of allRules) {
      const e = r.expr as string;
      let depth = 0;
      for (const c of e.replace(/"[^"]*"/g, '')) {
        if ('({['.includes(c)) depth++;
        if (')}]'.includes(c)) depth--;
        expect(depth, r.alert).toBeGreaterThanOrEqual(0);
      }
      expect(depth, r.alert).toBe(0);
      expect(e, r.alert).toMatch(/(==|!=|>=|<=|>|<)\s*[\d.]+\s*$/);
    }
  });

  it('cover DLQ rate, failed texts, Kafka lag, no screen connected, not ready and journal errors, each on its metric', () => {
    const exprOf = (alert: string) => allRules.find((r) => r.alert === alert)?.expr as string | undefined;
    expect(exprOf('RiskstreamDeadLetterRateHigh')).toMatch(/rate\(riskstream_dlq_total\[/);
    expect(exprOf('RiskstreamDeadLetters')).toContain('riskstream_dlq_total');
    expect(exprOf('RiskstreamTextsFailed')).toContain('riskstream_sms_failed_total');
    expect(exprOf('RiskstreamKafkaLag')).toContain('riskstream_kafka_consumer_lag');
    expect(exprOf('RiskstreamNoScreenConnected')).toMatch(/sum\(riskstream_ws_clients\) == 0/);
    expect(exprOf('RiskstreamNotReady')).toBe('riskstream_ready == 0');
    expect(exprOf('RiskstreamJournalErrors')).toContain('riskstream_journal_errors_total');
  });

  it('the PrometheusRule (deploy/k8s/monitoring) holds the same groups', () => {
    const pr = yaml(join(ROOT, 'deploy/k8s/monitoring/prometheusrule.yaml'));
    expect(pr.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(pr.kind).toBe('PrometheusRule');
    expect(pr.spec.groups).toEqual(rules.groups);
  });
});

describe('metric names in the rules and dashboards exist in the app', () => {
  let app: TestApp | undefined;
  let exposed = new Set<string>();
  beforeAll(async () => {
    app = await startTestApp();
    exposed = await exposedMetrics(app);
  }, 60_000);
  afterAll(async () => {
    await app?.destroy();
  });

  it('the registry has the Kafka, readiness and Node metrics under their names (the check can fail)', () => {
    expect(exposed).toContain('riskstream_ready');
    expect(exposed).toContain(KAFKA_STATS.lag!.name);
    expect(exposed).toContain('nodejs_heap_size_used_bytes');
    expect(exposed).toContain('riskstream_journal_errors_total');
    expect(exposed).not.toContain('riskstream_kafka');
  });

  it('every metric an alert rule names', () => {
    const named = allRules.flatMap((r) => metricsIn(r.expr as string));
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((n) => !exposed.has(n))).toEqual([]);
  });

  it('every metric a Prometheus panel or variable names, and the health dashboard shows what it must', () => {
    const health = dashboards.find((d) => d.file === 'riskstream-health.json')!.json;
    const named = panelsOf(health).flatMap((p) => ((p.targets as Obj[] | undefined) ?? []).flatMap((t) => metricsIn(String(t.expr ?? ''))));
    expect(named.filter((n) => !exposed.has(n))).toEqual([]);
    for (const must of ['riskstream_events_in_total', 'riskstream_dlq_total', 'riskstream_alert_events_total', 'riskstream_open_alerts', 'riskstream_sms_sent_total', 'riskstream_sms_failed_total', 'riskstream_kafka_consumer_lag', 'riskstream_ws_clients', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(named, must).toContain(must);
    }
  });
});

describe('ServiceMonitor (deploy/k8s/monitoring)', () => {
  const docs = (f: string) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as Obj);
  const [sm] = docs(join(ROOT, 'deploy/k8s/monitoring/servicemonitor.yaml'));
  const [svc] = docs(join(ROOT, 'deploy/k8s/service.yaml'));

  it('selects the Service of deploy/k8s/service.yaml on its http port, /metrics, in its namespace', () => {
    expect(sm!.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm!.kind).toBe('ServiceMonitor');
    expect(sm!.metadata.namespace).toBe(svc!.metadata.namespace);
    const sel = sm!.spec.selector.matchLabels as Obj;
    expect(Object.keys(sel).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(sel)) expect(svc!.metadata.labels[k], k).toBe(v);
    expect(sm!.spec.namespaceSelector.matchNames).toContain(svc!.metadata.namespace);
    const portNames = (svc!.spec.ports as Obj[]).map((p) => p.name);
    for (const ep of sm!.spec.endpoints as Obj[]) {
      expect(portNames).toContain(ep.port);
      expect(ep.path).toBe('/metrics');
    }
    // the scrape job is named after the Service: the rules' up{job="riskstream"} matches it
    expect(svc!.metadata.name).toBe('riskstream');
  });

  it('its kustomization lists exactly the files beside it', () => {
    const dir = join(ROOT, 'deploy/k8s/monitoring');
    const k = yaml(join(dir, 'kustomization.yaml'));
    expect([...(k.resources as string[])].sort()).toEqual(readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
  });
});

describe('docker compose: prometheus and grafana', () => {
  const composeFile = join(ROOT, 'deploy/docker-compose.yml');
  const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as Obj;
  const svc = compose.services as Obj;
  const mounts = (s: string) => (svc[s].volumes as string[]).filter((v) => v.startsWith('./')).map((v) => ({ host: resolve(dirname(composeFile), v.split(':')[0]!), container: v.split(':')[1]! }));

  it('mount files that exist', () => {
    for (const s of ['prometheus', 'grafana']) for (const m of mounts(s)) expect(existsSync(m.host), m.host).toBe(true);
  });

  it('Prometheus scrapes both instances on their container port and loads the rules file from where it is mounted', () => {
    const prom = yaml(join(MON, 'prometheus/prometheus.yml'));
    const job = (prom.scrape_configs as Obj[]).find((j) => j.job_name === 'riskstream')!;
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    const targets = (job.static_configs as Obj[]).flatMap((c) => c.targets as string[]);
    const instances = Object.keys(svc).filter((s) => /^riskstream-\d+$/.test(s));
    expect(targets.sort()).toEqual(instances.map((s) => `${s}:${String(svc[s].ports[0]).split(':')[1]}`).sort());
    const ruleMount = mounts('prometheus').find((m) => m.host === RULES_FILE);
    expect(prom.rule_files).toContain(ruleMount?.container);
    expect(mounts('prometheus').find((m) => m.container === '/etc/prometheus/prometheus.yml')).toBeDefined();
  });

  it('Grafana: provisioning mounted where Grafana reads it; the dashboards provider path is the dashboards mount; data source URLs are compose services', () => {
    const g = mounts('grafana');
    expect(g.find((m) => m.container === '/etc/grafana/provisioning/datasources')?.host).toBe(join(MON, 'grafana/provisioning/datasources'));
    expect(g.find((m) => m.container === '/etc/grafana/provisioning/dashboards')?.host).toBe(join(MON, 'grafana/provisioning/dashboards'));
    const provider = (yaml(join(MON, 'grafana/provisioning/dashboards/dashboards.yml')).providers as Obj[])[0]!;
    expect(g.find((m) => m.container === provider.options.path)?.host).toBe(DASHBOARDS);
    for (const d of provisioned.datasources as Obj[]) {
      const host = new URL(d.url as string).hostname;
      expect(Object.keys(svc), d.url).toContain(host);
    }
  });
});
