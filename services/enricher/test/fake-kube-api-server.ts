/**
 * FAKE Kubernetes API server for the tests — no cluster can run here. It speaks the part of the
 * API the enricher uses, over real HTTP, to the real @kubernetes/client-node:
 *
 *   GET /api/v1/pods?fieldSelector=spec.nodeName=X&limit=N&continue=T        → PodList (paged)
 *   GET /api/v1/pods?watch=true&resourceVersion=V&timeoutSeconds=S&…         → chunked JSON lines
 *       {"type":"ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR","object":…}
 *
 * Like the real server it keeps a resourceVersion counter and an event history; a watch from a
 * version older than the compacted history gets 410 Gone (as an ERROR event carrying a Status, or
 * as an HTTP 410 answer — both happen with real servers), and so does an expired continue token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePodSpec {
  name: string;
  namespace?: string;
  uid: string;
  nodeName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  owner?: { kind: string; name: string };
  containers?: Array<{
    name: string;
    image?: string;
    /** With scheme: "containerd://<64 hex>". Omitted: not created yet. */
    containerID?: string;
    imageID?: string;
    startedAt?: string;
    execProbe?: string[];
  }>;
}

type Pod = Record<string, unknown> & { metadata: Record<string, unknown>; spec: Record<string, unknown> };

/** A Pod object as the API server returns it. */
export function fakePod(p: FakePodSpec): Pod {
  const containers = p.containers ?? [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace ?? 'default',
      uid: p.uid,
      labels: p.labels ?? {},
      annotations: p.annotations ?? {},
      creationTimestamp: '2026-11-28T10:00:00Z',
      ...(p.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: p.owner.kind, name: p.owner.name, uid: 'owner-uid', controller: true },
            ],
          }
        : {}),
    },
    spec: {
      nodeName: p.nodeName ?? 'node-a',
      containers: containers.map((c) => ({
        name: c.name,
        image: c.image ?? 'nginx:1.27',
        ...(c.execProbe ? { livenessProbe: { exec: { command: c.execProbe } } } : {}),
      })),
    },
    status: {
      phase: 'Running',
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image ?? 'docker.io/library/nginx:1.27',
        imageID: c.imageID ?? 'docker.io/library/nginx@sha256:0123',
        ready: true,
        restartCount: 0,
        ...(c.containerID ? { containerID: c.containerID } : {}),
        state: c.containerID ? { running: { startedAt: c.startedAt ?? '2026-11-28T10:00:01Z' } } : { waiting: {} },
      })),
    },
  };
}

interface HistoryEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  pod: Pod;
}

interface Watcher {
  res: http.ServerResponse;
  nodeName?: string;
}

export class FakeKubeApiServer {
  private readonly server = http.createServer((req, res) => this.route(req, res));
  private readonly pods = new Map<string, Pod>();
  private history: HistoryEvent[] = [];
  private rv = 100;
  /** Versions at or below this are gone from the history (etcd compaction). */
  private compactedRv = 0;
  private readonly watchers = new Set<Watcher>();
  private failures: Array<{ status: number; watch: boolean }> = [];
  /** Every request's path and query, for assertions. */
  readonly requests: string[] = [];
  /** How a too-old watch is answered. */
  goneAs: 'error-event' | 'http-410' = 'error-event';

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url();
  }

  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds or changes a pod; watchers see ADDED or MODIFIED. */
  upsert(spec: FakePodSpec): void {
    const pod = fakePod(spec);
    const type = this.pods.has(spec.uid) ? 'MODIFIED' : 'ADDED';
    this.record(type, pod);
    this.pods.set(spec.uid, pod);
  }

  delete(uid: string): void {
    const pod = this.pods.get(uid);
    if (!pod) throw new Error(`fake API server: no pod ${uid}`);
    this.pods.delete(uid);
    this.record('DELETED', pod);
  }

  /** Forgets the history: watches from an older version get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }

  /** Cuts every open watch stream (a dropped connection, an API server restart). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  /** The next `count` list (or watch) requests answer with this HTTP status. */
  failNext(status: number, count: number, on: 'list' | 'watch'): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, watch: on === 'watch' });
  }

  openWatches(): number {
    return this.watchers.size;
  }

  private record(type: HistoryEvent['type'], pod: Pod): void {
    this.rv++;
    const versioned = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(this.rv) } };
    this.history.push({ rv: this.rv, type, pod: versioned });
    if (type !== 'DELETED') this.pods.set(pod.metadata['uid'] as string, versioned);
    for (const w of this.watchers) if (this.selected(versioned, w.nodeName)) this.send(w.res, type, versioned);
  }

  private selected(pod: Pod, nodeName: string | undefined): boolean {
    return nodeName === undefined || pod.spec['nodeName'] === nodeName;
  }

  private send(res: http.ServerResponse, type: string, object: unknown): void {
    res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push(`${url.pathname}${url.search}`);
    if (url.pathname !== '/api/v1/pods')
      return this.status(res, 404, 'NotFound', `fake API server: no ${url.pathname}`);
    const selector = url.searchParams.get('fieldSelector') ?? '';
    let nodeName: string | undefined;
    if (selector) {
      const m = /^spec\.nodeName=(.+)$/.exec(selector);
      if (!m) return this.status(res, 400, 'BadRequest', `fake API server: unsupported fieldSelector ${selector}`);
      nodeName = m[1];
    }
    const watch = url.searchParams.get('watch') === 'true';
    const failure = this.failures.findIndex((f) => f.watch === watch);
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return this.status(res, f!.status, 'InternalError', `fake API server: injected ${f!.status}`);
    }
    if (watch) this.watch(url, nodeName, res);
    else this.list(url, nodeName, res);
  }

  private list(url: URL, nodeName: string | undefined, res: http.ServerResponse): void {
    const limit = Number(url.searchParams.get('limit') ?? 0) || Infinity;
    const token = url.searchParams.get('continue');
    let offset = 0;
    let listRv = this.rv;
    if (token) {
      const [o, r] = token.split(':').map(Number);
      // A continue token expires with the version it was issued at.
      if (r! <= this.compactedRv) return this.status(res, 410, 'Expired', 'The provided continue parameter is too old');
      offset = o!;
      listRv = r!;
    }
    const all = [...this.pods.values()].filter((p) => this.selected(p, nodeName));
    const items = all.slice(offset, offset + limit);
    const next = offset + items.length < all.length ? `${offset + items.length}:${listRv}` : undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(listRv), ...(next ? { continue: next } : {}) },
        items,
      }),
    );
  }

  private watch(url: URL, nodeName: string | undefined, res: http.ServerResponse): void {
    const from = Number(url.searchParams.get('resourceVersion') ?? 0);
    if (from < this.compactedRv) {
      if (this.goneAs === 'http-410')
        return this.status(res, 410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`);
      res.writeHead(200, { 'content-type': 'application/json' });
      this.send(res, 'ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Expired',
        code: 410,
        message: `too old resource version: ${from} (${this.compactedRv})`,
      });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: Watcher = { res, ...(nodeName !== undefined ? { nodeName } : {}) };
    for (const e of this.history) if (e.rv > from && this.selected(e.pod, nodeName)) this.send(res, e.type, e.pod);
    this.watchers.add(w);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.watchers.delete(w);
    });
    if (url.searchParams.get('allowWatchBookmarks') === 'true')
      this.send(res, 'BOOKMARK', { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } });
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message }));
  }
}

/** A kubeconfig (YAML is a superset of JSON) pointing at the fake server. */
export function fakeKubeconfig(server: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // Plain HTTP: the client refuses it unless TLS verification is explicitly off.
    clusters: [{ name: 'fake', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake', user: { token: 'fake-token' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
    'current-context': 'fake',
  });
}
