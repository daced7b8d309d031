// Structure checks for what users deploy with (nothing here is run): the Kubernetes manifests in
// deploy/k8s/, deploy/docker-compose.yml, deploy/docker/Dockerfile and deploy/config/kafka.yaml.
// They catch what a cluster or compose would only report at rollout time: selectors that select
// nothing, probes on the wrong port or path, config files the Config schema refuses, env
// overrides with misspelt names, files referenced but missing.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Config } from '../../../src/contracts/config.ts';
import { CONFIG_ENV, loadConfig } from '../../../src/config/load.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const K8S = join(ROOT, 'deploy/k8s');
const COMPOSE = join(ROOT, 'deploy/docker-compose.yml');
const KAFKA_CONFIG = join(ROOT, 'deploy/config/kafka.yaml');
const DOCKERFILE = join(ROOT, 'deploy/docker/Dockerfile');

type Obj = Record<string, any>;

/** loadYamlDocs parses every document of a YAML file (merge keys on, as compose reads them); syntax errors fail. */
function loadYamlDocs(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  for (const d of list) expect(d.errors.map((e) => `${file}: ${e.message}`)).toEqual([]);
  return list.map((d) => d.toJS({ maxAliasCount: 100 }) as Obj).filter((d) => d !== null && d !== undefined);
}

const yamlFiles = readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
  .sort();
const manifests: { file: string; doc: Obj }[] = yamlFiles.flatMap((file) => loadYamlDocs(join(K8S, file)).map((doc) => ({ file, doc })));
const ofKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const one = (kind: string): Obj => {
  const all = ofKind(kind);
  expect(all, `exactly one ${kind}`).toHaveLength(1);
  return all[0]!;
};

/** subset: every key/value of `sel` is in `labels` (a label selector selects those labels). */
function subset(sel: Obj | undefined, labels: Obj | undefined): boolean {
  if (!sel || Object.keys(sel).length === 0) return false; // an empty selector selects everything: never intended here
  return Object.entries(sel).every(([k, v]) => labels?.[k] === v);
}

/** envOk: RISKSTREAM_* variables must be config overrides (CONTRACT §7) or the log level. */
function unknownRiskstreamEnv(names: string[]): string[] {
  return names.filter((n) => n.startsWith('RISKSTREAM_') && !CONFIG_ENV.has(n) && n !== 'RISKSTREAM_LOG_LEVEL');
}

describe('deploy/k8s manifests', () => {
  it('has the expected objects, each with apiVersion, kind and metadata.name', () => {
    expect(yamlFiles.length).toBeGreaterThan(0);
    for (const { file, doc } of manifests) {
      expect(typeof doc.apiVersion, `${file}: apiVersion`).toBe('string');
      expect(typeof doc.kind, `${file}: kind`).toBe('string');
      expect(typeof doc.metadata?.name, `${file}: metadata.name`).toBe('string');
      expect(doc.metadata.name, `${file}: metadata.name is a DNS label`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    const kinds = manifests.map((m) => m.doc.kind).sort();
    for (const k of ['ConfigMap', 'Deployment', 'Job', 'PodDisruptionBudget', 'Service']) expect(kinds).toContain(k);
    const apis = Object.fromEntries(manifests.map((m) => [m.doc.kind, m.doc.apiVersion]));
    expect(apis).toMatchObject({ Deployment: 'apps/v1', Service: 'v1', ConfigMap: 'v1', PodDisruptionBudget: 'policy/v1', Job: 'batch/v1' });
  });

  it('namespaced objects all live in one namespace, the one Namespace/kustomization names', () => {
    const ns = one('Namespace').metadata.name;
    for (const { file, doc } of manifests) {
      if (doc.kind === 'Namespace' || doc.kind === 'Kustomization') continue;
      expect(doc.metadata.namespace, `${file}: ${doc.kind}/${doc.metadata.name}`).toBe(ns);
    }
    expect(one('Kustomization').namespace).toBe(ns);
  });

  it('kustomization lists exactly the manifest files', () => {
    const k = one('Kustomization');
    expect([...k.resources].sort()).toEqual(yamlFiles.filter((f) => f !== 'kustomization.yaml'));
    for (const r of k.resources) expect(existsSync(join(K8S, r)), r).toBe(true);
  });

  it('embeds no Secret; the secret is referenced and documented', () => {
    expect(ofKind('Secret')).toEqual([]);
    const text = yamlFiles.map((f) => readFileSync(join(K8S, f), 'utf8')).join('\n');
    expect(text).not.toMatch(/^\s*secret:\s*\S/m); // no `secret:` key in the config
    const refs = JSON.stringify(one('Deployment')).match(/"secretKeyRef":\{[^}]*\}/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    const doc = readFileSync(join(K8S, 'secret.md'), 'utf8');
    for (const r of refs) expect(doc).toContain(JSON.parse(`{${r}}`).secretKeyRef.name);
  });

  it('the ConfigMap holds a config.yaml that Config accepts (mode kafka)', () => {
    const cm = one('ConfigMap');
    expect(typeof cm.data?.['config.yaml']).toBe('string');
    const docs = parseAllDocuments(cm.data['config.yaml'] as string);
    const list = Array.isArray(docs) ? docs : [];
    expect(list).toHaveLength(1);
    expect(list[0]!.errors).toEqual([]);
    const r = Config.safeParse(list[0]!.toJS());
    expect(r.success, r.success ? '' : JSON.stringify(r.error.issues)).toBe(true);
    expect(r.data!.mode).toBe('kafka');
    expect(r.data!.secret).toBeUndefined();
  });

  describe('Deployment', () => {
    const dep = one('Deployment');
    const tpl = dep.spec.template;
    const pod = tpl.spec;
    const cm = one('ConfigMap');
    // an invalid ConfigMap fails its own test above; here fall back to the defaults so the rest still runs
    const parsedCfg = Config.safeParse(loadYamlFromString(cm.data['config.yaml'] as string));
    const cfg = parsedCfg.success ? parsedCfg.data : Config.parse({});

    it('runs 2+ replicas whose template labels its selector selects', () => {
      expect(dep.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(subset(dep.spec.selector?.matchLabels, tpl.metadata?.labels)).toBe(true);
    });

    it('gives SIGTERM at least 30 s', () => {
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    });

    it('containers have an image, the HTTP port, resources, and probes on /readyz and /healthz at that port', () => {
      expect(pod.containers.length).toBeGreaterThan(0);
      for (const c of pod.containers as Obj[]) {
        expect(c.image, c.name).toMatch(/\S+:\S+/); // a tag, not :latest by accident
        expect(c.image).not.toMatch(/:latest$/);
        const ports = (c.ports ?? []) as Obj[];
        expect(ports.length).toBeGreaterThan(0);
        const http = ports.find((p) => p.containerPort === cfg.http.port);
        expect(http, `a containerPort equal to http.port ${cfg.http.port}`).toBeDefined();
        const resolves = (port: unknown) => port === http!.containerPort || (typeof port === 'string' && port === http!.name);
        expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
        expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(resolves(c.readinessProbe.httpGet.port)).toBe(true);
        expect(resolves(c.livenessProbe.httpGet.port)).toBe(true);
        if (c.startupProbe?.httpGet) expect(resolves(c.startupProbe.httpGet.port)).toBe(true);
        expect(c.resources?.requests?.cpu).toBeDefined();
        expect(c.resources?.requests?.memory).toBeDefined();
        expect(c.resources?.limits?.memory).toBeDefined();
      }
    });

    it('the probed paths exist in the HTTP server', () => {
      const server = readFileSync(join(ROOT, 'src/api/server.ts'), 'utf8');
      expect(server).toContain("'/readyz'");
      expect(server).toContain("'/healthz'");
    });

    it('reads the config file from the ConfigMap and the secret from a Secret; env names are real overrides', () => {
      for (const c of pod.containers as Obj[]) {
        const args = (c.args ?? []) as string[];
        expect(args[0]).toBe('start');
        const file = args[args.indexOf('--config') + 1]!;
        expect(args).toContain('--config');
        const mount = (c.volumeMounts as Obj[]).find((m) => file.startsWith(m.mountPath + '/'));
        expect(mount, `a volume mounted over ${file}`).toBeDefined();
        const vol = (pod.volumes as Obj[]).find((v) => v.name === mount!.name);
        expect(vol?.configMap?.name).toBe(cm.metadata.name);
        expect(Object.keys(cm.data)).toContain(file.slice(mount!.mountPath.length + 1));
        for (const m of c.volumeMounts as Obj[]) expect((pod.volumes as Obj[]).map((v) => v.name)).toContain(m.name);
        const env = (c.env ?? []) as Obj[];
        expect(unknownRiskstreamEnv(env.map((e) => e.name))).toEqual([]);
        const secret = env.find((e) => e.name === 'RISKSTREAM_SECRET');
        expect(secret?.valueFrom?.secretKeyRef?.name).toBeTruthy();
        expect(secret?.value).toBeUndefined();
        // the data dir of the config is a writable mount (the root filesystem may be read-only)
        expect((c.volumeMounts as Obj[]).some((m) => m.mountPath === cfg.dataDir && !m.readOnly)).toBe(true);
      }
    });
  });

  it('the Service selects the Deployment’s pods on port 8080 and targets the container port', () => {
    const svc = one('Service');
    const dep = one('Deployment');
    const labels = dep.spec.template.metadata.labels;
    expect(subset(svc.spec.selector, labels)).toBe(true);
    const port = (svc.spec.ports as Obj[]).find((p) => p.port === 8080);
    expect(port).toBeDefined();
    const cports = (dep.spec.template.spec.containers as Obj[]).flatMap((c) => c.ports as Obj[]);
    expect(cports.some((p) => p.name === port!.targetPort || p.containerPort === port!.targetPort)).toBe(true);
    expect(svc.spec.type ?? 'ClusterIP').toBe('ClusterIP');
  });

  it('the PodDisruptionBudget keeps one of the Deployment’s pods', () => {
    const pdb = one('PodDisruptionBudget');
    const dep = one('Deployment');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(subset(pdb.spec.selector?.matchLabels, dep.spec.template.metadata.labels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(dep.spec.replicas);
  });

  it('the Job runs `topics create` with the same config and does not select the Deployment’s pods', () => {
    const job = one('Job');
    const dep = one('Deployment');
    const pod = job.spec.template.spec;
    expect(['Never', 'OnFailure']).toContain(pod.restartPolicy);
    const c = pod.containers[0] as Obj;
    expect(c.args.slice(0, 2)).toEqual(['topics', 'create']);
    expect(c.args).toContain('--config');
    expect(c.image).toBe(dep.spec.template.spec.containers[0].image);
    expect((pod.volumes as Obj[]).some((v) => v.configMap?.name === one('ConfigMap').metadata.name)).toBe(true);
    expect(unknownRiskstreamEnv(((c.env ?? []) as Obj[]).map((e) => e.name))).toEqual([]);
    // a Job pod counted by the Service or PDB would be wrong
    expect(subset(dep.spec.selector.matchLabels, job.spec.template.metadata.labels)).toBe(false);
  });
});

/** loadYamlFromString: one YAML document to JS. */
function loadYamlFromString(text: string): unknown {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  return list[0]?.toJS();
}

describe('deploy/docker-compose.yml', () => {
  const docs = loadYamlDocs(COMPOSE);
  const compose = docs[0]!;
  const svc = compose.services as Obj;
  const composeDir = dirname(COMPOSE);
  const envOf = (name: string): Record<string, string> => {
    const e = svc[name].environment ?? {};
    const pairs: [string, unknown][] = Array.isArray(e) ? e.map((s: string) => s.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(e);
    return Object.fromEntries(pairs.map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
  };
  const instances = ['riskstream-1', 'riskstream-2'];

  it('is one document with the services kafka, influxdb, topics, riskstream-1, riskstream-2', () => {
    expect(docs).toHaveLength(1);
    for (const s of ['kafka', 'influxdb', 'topics', ...instances]) expect(Object.keys(svc)).toContain(s);
  });

  it('Kafka: the apache/kafka image in KRaft combined mode, listeners consistent, no auto-created topics', () => {
    const k = svc.kafka;
    expect(k.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    const env = envOf('kafka');
    expect(env.KAFKA_PROCESS_ROLES?.split(',').sort()).toEqual(['broker', 'controller']);
    expect(env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const listeners = new Map(env.KAFKA_LISTENERS!.split(',').map((l) => [l.split('://')[0]!, Number(l.split(':').at(-1))]));
    expect(listeners.has(env.KAFKA_CONTROLLER_LISTENER_NAMES!)).toBe(true);
    // the quorum voter is this node on its controller listener
    const [voterId, voterAddr] = env.KAFKA_CONTROLLER_QUORUM_VOTERS!.split('@');
    expect(voterId).toBe(env.KAFKA_NODE_ID);
    expect(Number(voterAddr!.split(':')[1])).toBe(listeners.get(env.KAFKA_CONTROLLER_LISTENER_NAMES!));
    for (const name of env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP!.split(',').map((p) => p.split(':')[0])) expect(listeners.has(name!)).toBe(true);
    // advertised listeners are listeners; the inter-broker listener is one of them
    for (const a of env.KAFKA_ADVERTISED_LISTENERS!.split(',')) expect(listeners.get(a.split('://')[0]!)).toBe(Number(a.split(':').at(-1)));
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain(`${env.KAFKA_INTER_BROKER_LISTENER_NAME}://`);
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1'); // one node
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(k.volumes?.some((v: string) => v.endsWith(':' + env.KAFKA_LOG_DIRS))).toBe(true);
  });

  it('InfluxDB 1.8 creates the database the config names', () => {
    expect(svc.influxdb.image).toBe('influxdb:1.8');
    const cfg = loadConfig({ file: KAFKA_CONFIG, env: envOf('riskstream-1') }).config;
    expect(envOf('influxdb').INFLUXDB_DB).toBe(cfg.influx?.database);
  });

  it('kafka, influxdb and both instances have healthchecks; instances probe /readyz', () => {
    for (const s of ['kafka', 'influxdb', ...instances]) {
      const hc = svc[s].healthcheck;
      expect(hc?.disable, s).not.toBe(true);
      expect(Array.isArray(hc?.test) && hc.test.length > 1, `${s}: healthcheck.test`).toBe(true);
    }
    for (const s of instances) expect(svc[s].healthcheck.test.join(' ')).toContain('/readyz');
  });

  it('instances wait for Kafka and InfluxDB healthy and for the topics job to succeed', () => {
    for (const s of instances) {
      expect(svc[s].depends_on).toMatchObject({
        kafka: { condition: 'service_healthy' },
        influxdb: { condition: 'service_healthy' },
        topics: { condition: 'service_completed_successfully' },
      });
    }
    expect(svc.topics.depends_on).toMatchObject({ kafka: { condition: 'service_healthy' } });
    expect(svc.topics.command.slice(0, 2)).toEqual(['topics', 'create']);
    expect(svc.topics.restart).toBe('no');
  });

  it('instances: ports 8081/8082 → 8080, mode kafka, brokers = Kafka’s in-network listener, distinct client ids, secret from an env file', () => {
    const kafkaEnv = envOf('kafka');
    const advertised = kafkaEnv.KAFKA_ADVERTISED_LISTENERS!.split(',').map((a) => a.split('://')[1]);
    expect(svc['riskstream-1'].ports).toEqual(['8081:8080']);
    expect(svc['riskstream-2'].ports).toEqual(['8082:8080']);
    const clientIds = new Set<string>();
    for (const s of [...instances, 'topics']) {
      const env = envOf(s);
      expect(unknownRiskstreamEnv(Object.keys(env)), s).toEqual([]);
      expect(env.RISKSTREAM_SECRET, `${s}: no secret inline`).toBeUndefined();
      for (const b of env.RISKSTREAM_KAFKA_BROKERS!.split(',')) expect(advertised, s).toContain(b);
      const envFiles = [svc[s].env_file].flat().map((f: string | Obj) => (typeof f === 'string' ? f : f.path));
      expect(envFiles.length, `${s}: env_file`).toBeGreaterThan(0);
      expect(existsSync(join(composeDir, envFiles[0] + '.example')), `${envFiles[0]}.example`).toBe(true);
      if (s !== 'topics') {
        expect(env.RISKSTREAM_MODE).toBe('kafka');
        clientIds.add(env.RISKSTREAM_KAFKA_CLIENT_ID!);
        expect(svc[s].command).toEqual(['start', '--config', '/etc/riskstream/config.yaml']);
      }
    }
    expect(clientIds.size).toBe(instances.length);
  });

  it('the config each instance would load (file + its env) validates', () => {
    for (const s of [...instances, 'topics']) {
      const mount = (svc[s].volumes as string[]).find((v) => v.split(':')[1] === '/etc/riskstream/config.yaml');
      expect(mount, `${s}: config mount`).toBeDefined();
      const file = resolve(composeDir, mount!.split(':')[0]!);
      expect(existsSync(file)).toBe(true);
      const { config } = loadConfig({ file, env: envOf(s) });
      expect(config.kafka.brokers).toEqual(envOf(s).RISKSTREAM_KAFKA_BROKERS!.split(','));
      if (s !== 'topics') expect(config.mode).toBe('kafka');
    }
  });

  it('builds the image from deploy/docker/Dockerfile with the repository as context', () => {
    for (const s of ['topics', ...instances]) {
      const b = svc[s].build;
      expect(b, `${s}: build`).toBeDefined();
      const context = resolve(composeDir, b.context);
      expect(context).toBe(resolve(ROOT));
      expect(resolve(context, b.dockerfile)).toBe(DOCKERFILE);
    }
  });

  it('the env file example carries no real secret', () => {
    const text = readFileSync(join(ROOT, 'deploy/config/riskstream.env.example'), 'utf8');
    expect(text).toMatch(/^RISKSTREAM_SECRET=$/m);
  });
});

describe('deploy/config/kafka.yaml', () => {
  it('validates with Config (mode kafka, no secret in the file)', () => {
    const { config } = loadConfig({ file: KAFKA_CONFIG, env: {} });
    expect(config.mode).toBe('kafka');
    expect(config.secret).toBeUndefined();
    expect(config.kafka.brokers.length).toBeGreaterThan(0);
    expect(config.influx).toBeDefined();
  });
});

// deploy/docker/Dockerfile and its .dockerignore: test/unit/deploy/dockerfile.test.ts
