import type * as k8s from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import {
  KubeApiError,
  type PodListPage,
  type PodListRequest,
  type PodSource,
  type PodWatch,
  type PodWatchHandlers,
  type PodWatchRequest,
  type WatchEventType,
} from './pod-source';

type Client = typeof k8s;

/** Where the API server and credentials come from. */
export type KubeAccess = { mode: 'in-cluster' } | { mode: 'kubeconfig'; path: string };

/**
 * @kubernetes/client-node is an ES module and this repository compiles to CommonJS: it is loaded
 * with a real dynamic import (TypeScript keeps import() under module node16), once.
 */
let client: Promise<Client> | undefined;
const loadClient = (): Promise<Client> => (client ??= import('@kubernetes/client-node'));

/** The pod list and watch of a real API server through @kubernetes/client-node. */
export class KubePodSource implements PodSource {
  private constructor(
    private readonly k: Client,
    private readonly config: k8s.KubeConfig,
    private readonly api: k8s.CoreV1Api,
  ) {}

  /** `path` "" uses the client's default rules ($KUBECONFIG, then ~/.kube/config). */
  static async create(access: KubeAccess): Promise<KubePodSource> {
    const k = await loadClient();
    const config = new k.KubeConfig();
    if (access.mode === 'in-cluster') config.loadFromCluster();
    else if (access.path) config.loadFromFile(access.path);
    else config.loadFromDefault();
    if (!config.getCurrentCluster())
      throw new KubeApiError(
        undefined,
        access.mode === 'in-cluster'
          ? 'in-cluster configuration: no API server (KUBERNETES_SERVICE_HOST unset?)'
          : `kubeconfig ${access.path || '(default)'}: no current cluster`,
      );
    return new KubePodSource(k, config, config.makeApiClient(k.CoreV1Api));
  }

  /** The API server's address, for logs and /status. */
  server(): string {
    return this.config.getCurrentCluster()?.server ?? '';
  }

  async list(request: PodListRequest): Promise<PodListPage> {
    let list: k8s.V1PodList;
    try {
      list = await this.api.listPodForAllNamespaces({
        fieldSelector: request.fieldSelector,
        limit: request.limit,
        _continue: request.continueToken,
      });
    } catch (err) {
      throw this.apiError('list pods', err);
    }
    return {
      items: list.items,
      resourceVersion: list.metadata?.resourceVersion ?? '',
      ...(list.metadata?._continue ? { continueToken: list.metadata._continue } : {}),
    };
  }

  async watch(request: PodWatchRequest, handlers: PodWatchHandlers): Promise<PodWatch> {
    const watch = new this.k.Watch(this.config);
    const controller = await watch.watch(
      '/api/v1/pods',
      {
        fieldSelector: request.fieldSelector,
        resourceVersion: request.resourceVersion,
        timeoutSeconds: request.timeoutSeconds,
        allowWatchBookmarks: true,
      },
      (type: string, object: unknown) => handlers.event(type as WatchEventType, object),
      (err: unknown) => handlers.done(err ? this.apiError('watch pods', err) : undefined),
    );
    return { abort: () => controller.abort() };
  }

  private apiError(what: string, err: unknown): KubeApiError {
    if (err instanceof this.k.ApiException) {
      const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
      return new KubeApiError(err.code, `${what}: HTTP ${err.code}: ${(body ?? '').slice(0, 300)}`);
    }
    const e = err as { statusCode?: number; message?: string };
    const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
    return new KubeApiError(
      status,
      `${what}: ${status ? `HTTP ${status} ` : ''}${e?.message ?? String(err)} (${this.server()})`,
    );
  }
}
