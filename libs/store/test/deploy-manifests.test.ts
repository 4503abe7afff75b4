/**
 * The Kubernetes manifests of deploy/kubernetes keep their least-privilege promises
 * (deploy/README.md), and every VIGIL_* variable they set is one the service actually reads.
 *
 * The variables are taken from the configuration schemas' sources (libs/config base-schema.ts
 * and services/<name>/src/<name>.config.ts) rather than imported: the services depend on this
 * library (the exporter on @vigil/store), so importing them here would make a dependency cycle,
 * and the sources are what the next build will read anyway.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const REPO = path.resolve(__dirname, '..', '..', '..');
const KUBE = path.join(REPO, 'deploy', 'kubernetes');

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects, checked field by field */
type Obj = Record<string, any>;

interface Manifest {
  file: string;
  doc: Obj;
}

function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(dir, e.name)] : [],
    )
    .sort();
}

/** YAML 1.1, as kubectl reads it (sigs.k8s.io/yaml): `defaultMode: 0440` is octal there. */
function load(file: string): Manifest[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1' }).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return { file: path.relative(KUBE, file), doc: d.toJS() as Obj };
  });
}

const files = yamlFiles(KUBE);
const all = files.flatMap(load);
const kustomization = all.find((m) => m.file === 'kustomization.yaml')!.doc;
/** What `kubectl apply -k deploy/kubernetes` applies. */
const applied = all.filter((m) => (kustomization['resources'] as string[]).includes(m.file));
const ofKind = (kind: string) => applied.filter((m) => m.doc['kind'] === kind).map((m) => m.doc);
const workloads = applied.filter((m) => ['Deployment', 'DaemonSet'].includes(m.doc['kind'])).map((m) => m.doc);
const podSpec = (w: Obj): Obj => w['spec']['template']['spec'];
const containersOf = (w: Obj): Obj[] => [...(podSpec(w)['initContainers'] ?? []), ...(podSpec(w)['containers'] ?? [])];
const isCollector = (w: Obj) => w['kind'] === 'DaemonSet' && w['metadata']['name'] === 'vigil-collector';
const services = workloads.filter((w) => !isCollector(w));

/** Every `key: value` pair anywhere in a document, with its path. */
function* walk(value: unknown, at = ''): Generator<[string, string, unknown]> {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* walk(v, `${at}[${i}]`);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      yield [`${at}.${k}`, k, v];
      yield* walk(v, `${at}.${k}`);
    }
}

/** The service a container runs: `node /opt/vigil/services/<name>/dist/main.js`. */
function serviceOf(container: Obj): string {
  const m = /\/services\/([a-z-]+)\/dist\/main\.js$/.exec((container['command'] ?? []).join(' '));
  if (!m)
    throw new Error(
      `container ${container['name']}: command ${JSON.stringify(container['command'])} is no service main`,
    );
  return m[1]!;
}

/** VIGIL_* variables a schema source declares (`env: 'VIGIL_…'`). */
function declaredEnv(file: string): Set<string> {
  const text = fs.readFileSync(path.join(REPO, file), 'utf8');
  return new Set([...text.matchAll(/\benv:\s*'(VIGIL_[A-Z0-9_]+)'/g)].map((m) => m[1]!));
}
const baseEnv = declaredEnv('libs/config/src/base-schema.ts');

/** What loadConfig reads for a service: its own schema's variables, plus the base sections it spreads. */
function schemaEnv(service: string): Set<string> {
  const file = `services/${service}/src/${service}.config.ts`;
  const own = declaredEnv(file);
  const spreadsBase = /\.\.\.baseSchema\b/.test(fs.readFileSync(path.join(REPO, file), 'utf8'));
  return new Set([...own, ...(spreadsBase ? baseEnv : [])]);
}

const envOf = (c: Obj): Obj[] => c['env'] ?? [];
const envValue = (c: Obj, name: string) => envOf(c).find((e) => e['name'] === name)?.['value'];
/** The port of a container's gRPC API (a VIGIL_*GRPC_ADDRESS host:port), undefined without one. */
const grpcPort = (c: Obj): number | undefined => {
  const address = envOf(c).find((e) => /^VIGIL_\w*GRPC_ADDRESS$/.test(e['name']))?.['value'] as string | undefined;
  return address ? Number(address.split(':').pop()) : undefined;
};
const effective = (w: Obj, c: Obj, key: string) => c['securityContext']?.[key] ?? podSpec(w)['securityContext']?.[key];

describe('deploy/kubernetes manifests', () => {
  it('parse as YAML, and kustomization.yaml applies every top-level manifest', () => {
    expect(files.length).toBeGreaterThan(5);
    for (const m of all) {
      expect(m.doc['apiVersion'], m.file).toBeTypeOf('string');
      expect(m.doc['kind'], m.file).toBeTypeOf('string');
    }
    const topLevel = files
      .map((f) => path.relative(KUBE, f))
      .filter((f) => !f.includes('/') && f !== 'kustomization.yaml');
    expect([...(kustomization['resources'] as string[])].sort()).toEqual(topLevel.sort());
    for (const m of applied) {
      const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(m.doc['kind']);
      expect(m.doc['metadata']['namespace'], `${m.file} ${m.doc['kind']}`).toBe(clusterScoped ? undefined : 'vigil');
    }
  });

  it('never asks for privileged, hostNetwork or hostIPC; hostPID only for the collector', () => {
    for (const m of all)
      for (const [at, key, value] of walk(m.doc)) {
        expect(key === 'privileged' && value === true, `${m.file}${at}`).toBe(false);
        expect(['hostNetwork', 'hostIPC'].includes(key) && value === true, `${m.file}${at}`).toBe(false);
      }
    for (const w of workloads) expect(podSpec(w)['hostPID'] === true, w['metadata']['name']).toBe(isCollector(w));
    expect(workloads.filter(isCollector)).toHaveLength(1);
    expect(services.map((w) => w['metadata']['name']).sort()).toEqual([
      'vigil-enricher',
      'vigil-exporter',
      'vigil-policy-engine',
    ]);
  });

  it('runs every non-collector container non-root, read-only, without capabilities, under RuntimeDefault seccomp', () => {
    for (const w of services) {
      expect(
        podSpec(w)['volumes']?.some((v: Obj) => v['hostPath']),
        w['metadata']['name'],
      ).toBe(false);
      for (const c of containersOf(w)) {
        const where = `${w['metadata']['name']}/${c['name']}`;
        const sc = c['securityContext'] ?? {};
        expect(effective(w, c, 'runAsNonRoot'), where).toBe(true);
        expect(effective(w, c, 'runAsUser'), where).toBeGreaterThan(0);
        expect(sc['readOnlyRootFilesystem'], where).toBe(true);
        expect(sc['allowPrivilegeEscalation'], where).toBe(false);
        expect(sc['capabilities']?.['drop'], where).toEqual(['ALL']);
        expect(sc['capabilities']?.['add'], where).toBeUndefined();
        expect(effective(w, c, 'seccompProfile'), where).toEqual({ type: 'RuntimeDefault' });
        for (const kind of ['requests', 'limits'])
          expect(Object.keys(c['resources']?.[kind] ?? {}).sort(), `${where} ${kind}`).toEqual(['cpu', 'memory']);
      }
    }
  });

  it('probes /healthz (liveness) and /readyz (readiness) on the port each service listens on', () => {
    for (const w of workloads)
      for (const c of podSpec(w)['containers'] as Obj[]) {
        const where = `${w['metadata']['name']}/${c['name']}`;
        const port = Number(envValue(c, 'VIGIL_HTTP_PORT'));
        expect(port, where).toBeGreaterThan(0); // the default 0 picks a random port
        expect(envValue(c, 'VIGIL_HTTP_HOST'), where).toBe('0.0.0.0'); // the default 127.0.0.1 hides it from the kubelet
        const grpc = grpcPort(c);
        expect(c['ports'], where).toEqual([
          { name: 'http', containerPort: port, protocol: 'TCP' },
          ...(grpc ? [{ name: 'grpc', containerPort: grpc, protocol: 'TCP' }] : []),
        ]);
        expect(c['livenessProbe']?.['httpGet'], where).toEqual({ path: '/healthz', port: 'http' });
        expect(c['readinessProbe']?.['httpGet'], where).toEqual({ path: '/readyz', port: 'http' });
      }
  });

  it('gives the collector only BPF, PERFMON and SYS_PTRACE, read-only kernel mounts, and its node name', () => {
    const collector = workloads.find(isCollector)!;
    const spec = podSpec(collector);
    const [c] = spec['containers'] as Obj[];
    expect(spec['automountServiceAccountToken']).toBe(false);
    expect(spec['hostNetwork']).toBeUndefined();
    expect(c!['securityContext']).toMatchObject({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['BPF', 'PERFMON', 'SYS_PTRACE'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(envOf(c!).find((e) => e['name'] === 'VIGIL_NODE_NAME')).toEqual({
      name: 'VIGIL_NODE_NAME',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    const hostPaths = new Map<string, string>(
      (spec['volumes'] as Obj[]).filter((v) => v['hostPath']).map((v) => [v['name'], v['hostPath']['path']]),
    );
    const writable = (c!['volumeMounts'] as Obj[])
      .filter((m) => hostPaths.has(m['name']) && m['readOnly'] !== true)
      .map((m) => hostPaths.get(m['name']));
    // Only the Kafka spool, the JSON export and the gRPC socket are written on the host.
    expect(writable.sort()).toEqual(['/var/lib/vigil/collector-spool', '/var/log/vigil', '/var/run/vigil']);
    expect([...hostPaths.values()].sort()).toEqual([
      '/sys/fs/cgroup',
      '/sys/kernel/btf',
      '/sys/kernel/security',
      '/sys/kernel/tracing',
      '/var/lib/vigil/collector-spool',
      '/var/log/vigil',
      '/var/run/vigil',
    ]);
    // The socket directory is where collector.grpcAddress's default puts the socket.
    expect(envValue(c!, 'VIGIL_GRPC_ADDRESS')).toBeUndefined();
    expect(fs.readFileSync(path.join(REPO, 'services/collector/src/collector.config.ts'), 'utf8')).toContain(
      "default: 'unix:///var/run/vigil/vigil.sock'",
    );
    // The two host directories are what VIGIL_COLLECTOR_SPOOL_DIR and VIGIL_EXPORT_FILE point into.
    expect(envValue(c!, 'VIGIL_COLLECTOR_SPOOL_DIR')).toBe('/var/lib/vigil/collector-spool');
    expect(path.dirname(envValue(c!, 'VIGIL_EXPORT_FILE'))).toBe('/var/log/vigil');
  });

  it("offers the collector's other capabilities only as opt-in components, one each", () => {
    const components = all.filter((m) => m.doc['kind'] === 'Component');
    const added = Object.fromEntries(
      components.map((m) => {
        const ops = (m.doc['patches'] as Obj[]).flatMap((p) => {
          expect(p['target'], m.file).toMatchObject({ kind: 'DaemonSet', name: 'vigil-collector' });
          return parse(p['patch'] as string) as Obj[];
        });
        return [path.dirname(m.file), ops];
      }),
    );
    expect(added).toEqual({
      'components/collector-uprobes': [
        { op: 'add', path: '/spec/template/spec/containers/0/securityContext/capabilities/add/-', value: 'SYS_ADMIN' },
        // Kubernetes refuses SYS_ADMIN with allowPrivilegeEscalation: false.
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation',
          value: true,
        },
      ],
      'components/collector-cgroup-connect': [
        { op: 'add', path: '/spec/template/spec/containers/0/securityContext/capabilities/add/-', value: 'NET_ADMIN' },
      ],
      'components/collector-kernel-stacks': [
        { op: 'add', path: '/spec/template/spec/containers/0/securityContext/capabilities/add/-', value: 'SYSLOG' },
      ],
    });
  });

  it("binds a role to the enricher's service account only: list and watch pods, nothing else", () => {
    expect(ofKind('Role')).toEqual([]);
    expect(ofKind('RoleBinding')).toEqual([]);
    const bindings = ofKind('ClusterRoleBinding');
    expect(bindings).toHaveLength(1);
    expect(bindings[0]!['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'vigil-enricher', namespace: 'vigil' }]);
    const roles = ofKind('ClusterRole');
    expect(roles.map((r) => r['metadata']['name'])).toEqual([bindings[0]!['roleRef']['name']]);
    expect(bindings[0]!['roleRef']).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'vigil-enricher',
    });
    const rules = roles[0]!['rules'] as Obj[];
    for (const rule of rules) {
      expect(rule['apiGroups']).toEqual(['']);
      expect(rule['resources']).toEqual(['pods']);
      for (const verb of rule['verbs']) expect(['get', 'list', 'watch']).toContain(verb);
    }
    // What kube-pod-source.ts calls: listPodForAllNamespaces and a watch of /api/v1/pods.
    expect(rules.flatMap((r) => r['verbs']).sort()).toEqual(['list', 'watch']);
    const source = fs.readFileSync(
      path.join(REPO, 'services/enricher/src/domain/kubernetes/kube-pod-source.ts'),
      'utf8',
    );
    expect([...source.matchAll(/this\.api\.(\w+)\(/g)].map((m) => m[1])).toEqual(['listPodForAllNamespaces']);
    expect([...source.matchAll(/watch\.watch\(\s*'([^']+)'/g)].map((m) => m[1])).toEqual(['/api/v1/pods']);
  });

  it('mounts a service account token into the enricher only', () => {
    for (const sa of ofKind('ServiceAccount'))
      expect(sa['automountServiceAccountToken'], sa['metadata']['name']).toBe(false);
    for (const w of workloads) {
      const enricher = w['metadata']['name'] === 'vigil-enricher';
      expect(podSpec(w)['automountServiceAccountToken'], w['metadata']['name']).toBe(enricher);
      expect(podSpec(w)['serviceAccountName'], w['metadata']['name']).toBe(w['metadata']['name']);
    }
  });

  it("sets only VIGIL_* variables the service's configuration schema reads", () => {
    expect(baseEnv).toContain('VIGIL_KAFKA_BROKERS'); // the source parse found the schema
    for (const w of workloads)
      for (const c of containersOf(w)) {
        const service = serviceOf(c);
        expect(fs.existsSync(path.join(REPO, `services/${service}/src/main.ts`)), service).toBe(true);
        const known = schemaEnv(service);
        expect(known.size, service).toBeGreaterThan(baseEnv.size);
        for (const e of envOf(c)) {
          expect(e['name'], `${service}: ${e['name']}`).toMatch(/^VIGIL_/);
          expect(known.has(e['name']), `${service} does not read ${e['name']}`).toBe(true);
        }
        expect(c['envFrom'], service).toBeUndefined(); // every variable named, none by a whole map
      }
  });

  it('takes endpoints from the vigil-endpoints ConfigMap and secrets from Secrets, by keys that exist', () => {
    const [endpoints] = ofKind('ConfigMap').filter((c) => c['metadata']['name'] === 'vigil-endpoints');
    expect(Object.keys(endpoints!['data']).sort()).toEqual([
      'VIGIL_CLICKHOUSE_DATABASE',
      'VIGIL_CLICKHOUSE_URL',
      'VIGIL_KAFKA_BROKERS',
    ]);
    for (const key of Object.keys(endpoints!['data'])) expect(baseEnv.has(key), key).toBe(true);
    const examples = all.filter((m) => m.file.startsWith('examples/')).map((m) => m.doc);
    for (const w of workloads)
      for (const c of containersOf(w))
        for (const e of envOf(c)) {
          const cm = e['valueFrom']?.['configMapKeyRef'];
          if (cm) {
            expect(cm['name'], e['name']).toBe('vigil-endpoints');
            expect(cm['key'], e['name']).toBe(e['name']);
          }
          const secret = e['valueFrom']?.['secretKeyRef'];
          if (secret) {
            // Not applied by the kustomization: documented by an example with that key, and
            // optional except the fleet API's token (beyond loopback the exporter needs one).
            expect(secret['optional'], e['name']).toBe(e['name'] === 'VIGIL_EXPORTER_GRPC_TOKEN' ? undefined : true);
            const example = examples.find((x) => x['kind'] === 'Secret' && x['metadata']['name'] === secret['name']);
            expect(Object.keys(example?.['stringData'] ?? {}), e['name']).toContain(secret['key']);
          }
        }
    // The enricher and the policy engine build their KafkaBus without a topic prefix: setting
    // one for the others would split the pipeline.
    for (const w of workloads)
      for (const c of containersOf(w)) expect(envValue(c, 'VIGIL_KAFKA_TOPIC_PREFIX'), serviceOf(c)).toBeUndefined();
  });

  it("reads the policy engine's tokens from the vigil-policy-engine-tokens Secret as a file", () => {
    const engine = workloads.find((w) => w['metadata']['name'] === 'vigil-policy-engine')!;
    const [c] = podSpec(engine)['containers'] as Obj[];
    const file = envValue(c!, 'VIGIL_POLICY_ENGINE_TOKENS_FILE') as string;
    const mount = (c!['volumeMounts'] as Obj[]).find((m) => m['mountPath'] === path.dirname(file))!;
    expect(mount['readOnly']).toBe(true);
    const volume = (podSpec(engine)['volumes'] as Obj[]).find((v) => v['name'] === mount['name'])!;
    expect(volume['secret']).toEqual({
      secretName: 'vigil-policy-engine-tokens',
      defaultMode: 0o440,
      items: [{ key: 'tokens.json', path: path.basename(file) }],
    });
    expect(envValue(c!, 'VIGIL_POLICY_ENGINE_TOKENS')).toBeUndefined(); // no token in the pod spec
    // Never two engines at once ("one engine writes").
    expect(engine['spec']).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    const example = all.find((m) => m.file === 'examples/policy-engine-tokens-secret.yaml')!.doc;
    expect(Object.keys(example['stringData'])).toEqual(['tokens.json']);
  });

  it('exposes the policy engine and the exporter through Services on their HTTP ports', () => {
    const svcs: Record<string, Obj> = Object.fromEntries(ofKind('Service').map((s) => [s['metadata']['name'], s]));
    expect(Object.keys(svcs).sort()).toEqual(['vigil-exporter', 'vigil-policy-engine']);
    for (const [name, svc] of Object.entries(svcs)) {
      const w = workloads.find((x) => x['metadata']['name'] === name)!;
      expect(svc['spec']['selector'], name).toEqual(w['spec']['selector']['matchLabels']);
      for (const [k, v] of Object.entries(svc['spec']['selector'] as Obj))
        expect(w['spec']['template']['metadata']['labels'][k], name).toBe(v);
      const port = Number(envValue(podSpec(w)['containers'][0], 'VIGIL_HTTP_PORT'));
      const grpc = grpcPort(podSpec(w)['containers'][0]);
      expect(svc['spec']['ports'], name).toEqual([
        { name: 'http', port, targetPort: 'http', protocol: 'TCP' },
        { name: 'grpc', port: grpc, targetPort: 'grpc', protocol: 'TCP' },
      ]);
    }
  });

  it('denies ingress to every pod except the two HTTP APIs, from labelled clients only', () => {
    const policies = ofKind('NetworkPolicy');
    const deny = policies.filter((p) => Object.keys(p['spec']['podSelector']).length === 0);
    expect(deny).toHaveLength(1);
    expect(deny[0]!['spec']).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    const allowed = policies
      .filter((p) => p !== deny[0])
      .map((p) => {
        const w = workloads.find((x) =>
          Object.entries(p['spec']['podSelector']['matchLabels'] as Obj).every(
            ([k, v]) => x['spec']['template']['metadata']['labels'][k] === v,
          ),
        )!;
        const port = Number(envValue(podSpec(w)['containers'][0], 'VIGIL_HTTP_PORT'));
        const rules = p['spec']['ingress'] as Obj[];
        for (const r of rules) {
          const grpc = grpcPort(podSpec(w)['containers'][0]);
          expect(r['ports'], p['metadata']['name']).toEqual([
            { protocol: 'TCP', port },
            { protocol: 'TCP', port: grpc },
          ]);
          for (const from of r['from']) expect(Object.keys(from['podSelector']['matchLabels'])).toHaveLength(1);
        }
        return w['metadata']['name'];
      });
    expect(allowed.sort()).toEqual(['vigil-exporter', 'vigil-policy-engine']);
  });
});
