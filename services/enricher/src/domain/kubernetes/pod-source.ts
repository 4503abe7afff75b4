/**
 * What the watcher needs of the Kubernetes API: one page of a pod list, and a pod watch. The
 * @kubernetes/client-node adapter (kube-pod-source.ts) implements it; tests run that adapter
 * against a fake API server.
 */
export interface PodListPage {
  items: unknown[];
  /** The list's resourceVersion: where a watch continues from. */
  resourceVersion: string;
  /** Set when more pages follow. */
  continueToken?: string;
}

export interface PodListRequest {
  fieldSelector?: string;
  limit: number;
  continueToken?: string;
}

export interface PodWatchRequest {
  fieldSelector?: string;
  resourceVersion: string;
  /** The server ends the watch after this long; the watcher then continues from the last version. */
  timeoutSeconds: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface PodWatchHandlers {
  event(type: WatchEventType, object: unknown): void;
  /** The watch ended: normally (undefined) or with an error. Called once. */
  done(error?: Error): void;
}

export interface PodWatch {
  abort(): void;
}

export interface PodSource {
  list(request: PodListRequest): Promise<PodListPage>;
  watch(request: PodWatchRequest, handlers: PodWatchHandlers): Promise<PodWatch>;
}

/** An API answer with an HTTP status; 410 Gone means the resourceVersion is too old: relist. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export const isGone = (err: unknown): boolean => err instanceof KubeApiError && err.status === 410;
