import type { PodCache } from './pod-cache';
import { podRecord, PodShapeError, type PodRecord } from './pod-record';
import { isGone, KubeApiError, type PodSource, type PodWatch, type WatchEventType } from './pod-source';

export interface PodWatcherOptions {
  /** e.g. "spec.nodeName=node-1"; undefined watches every pod of the cluster. */
  fieldSelector?: string;
  /** Pods per list page (bounds the memory of one list response). */
  pageSize: number;
  /** Full relist this often even when the watch is healthy (informer resync). */
  resyncMs: number;
  /** Server-side watch timeout; the watch is renewed from the last resourceVersion after it. */
  watchTimeoutSeconds: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  log?: (message: string) => void;
  now?: () => number;
}

export interface WatchState {
  /** A watch stream is open. */
  connected: boolean;
  /** The cache holds a complete list (false until the first list succeeds). */
  synced: boolean;
  resourceVersion: string;
  lastError?: string;
  lastErrorAt?: string;
  /** Full lists: the first, after 410 Gone, after errors, and periodic resyncs. */
  lists: number;
  resyncs: number;
  /** 410 Gone answers (resourceVersion too old) that forced a relist. */
  gone: number;
  /** Watch streams opened. */
  watches: number;
  errors: number;
  events: number;
  /** Pod objects that could not be read (missing uid/name/namespace): skipped, counted. */
  badObjects: number;
}

/**
 * Keeps a PodCache in step with the API server like a client-go informer: list (paged), then
 * watch from the list's resourceVersion; renew the watch when the server ends it; relist on
 * 410 Gone, after errors (with exponential backoff) and every resyncMs.
 */
export class PodWatcher {
  private readonly state: WatchState = {
    connected: false,
    synced: false,
    resourceVersion: '',
    lists: 0,
    resyncs: 0,
    gone: 0,
    watches: 0,
    errors: 0,
    events: 0,
    badObjects: 0,
  };
  private stopped = true;
  private current?: PodWatch;
  private timer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private backoffMs: number;
  /** Set when the next cycle must start with a full list. */
  private needList = true;
  private readonly now: () => number;
  /** Set by an error: the next cycle waits backoffMs first. */
  private pendingBackoff = false;
  /** Ends the wait of the running cycle (stop, resync). */
  private wake?: () => void;

  constructor(
    private readonly source: PodSource,
    private readonly cache: PodCache,
    private readonly options: PodWatcherOptions,
  ) {
    this.backoffMs = options.backoffInitialMs;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.resyncTimer = setInterval(() => this.resync(), this.options.resyncMs);
    this.resyncTimer.unref();
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    clearTimeout(this.timer);
    this.endWatch();
  }

  status(): WatchState {
    return { ...this.state };
  }

  /** Relists now (the periodic resync). */
  resync(): void {
    if (this.stopped) return;
    this.state.resyncs++;
    this.needList = true;
    this.endWatch();
  }

  /** Ends the open watch (or the backoff wait) as intended, not as an error. */
  private endWatch(): void {
    const watch = this.current;
    // wake first: the abort makes the client report an AbortError, which must not count.
    this.wake?.();
    watch?.abort();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.needList) await this.list();
        const started = this.now();
        const eventsBefore = this.state.events;
        const ended = await this.watchOnce();
        if (ended) this.failed(ended);
        // A server that ends every watch at once without a word would otherwise be hammered.
        else if (this.state.events === eventsBefore && this.now() - started < 1000) this.pendingBackoff = true;
      } catch (err) {
        this.failed(err);
      }
      if (this.stopped) break;
      if (this.pendingBackoff) {
        this.pendingBackoff = false;
        await this.sleep(this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, this.options.backoffMaxMs);
      }
    }
    this.state.connected = false;
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    const message = err instanceof Error ? err.message : String(err);
    this.state.errors++;
    this.state.lastError = message;
    this.state.lastErrorAt = new Date(this.now()).toISOString();
    if (isGone(err)) {
      // Not a failure of the server: our version is too old. Relist at once.
      this.state.gone++;
      this.needList = true;
      this.options.log?.(`pod watch: ${message}; relisting`);
      return;
    }
    // After an error the version may be gone too, but try to continue from it first: a relist of
    // a big cluster is expensive, and a 410 answer will say if it is needed.
    this.pendingBackoff = true;
    this.options.log?.(`pod watch: ${message}; retrying in ${this.backoffMs} ms`);
  }

  private async list(): Promise<void> {
    const pods: PodRecord[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.source.list({
        fieldSelector: this.options.fieldSelector,
        limit: this.options.pageSize,
        continueToken,
      });
      for (const item of page.items) {
        const pod = this.read(item);
        if (pod) pods.push(pod);
      }
      continueToken = page.continueToken;
      resourceVersion = page.resourceVersion;
    } while (continueToken && !this.stopped);
    if (this.stopped) return;
    this.cache.replace(pods);
    this.state.lists++;
    this.state.synced = true;
    this.state.resourceVersion = resourceVersion;
    this.needList = false;
    this.backoffMs = this.options.backoffInitialMs;
  }

  /** One watch stream, until the server or we end it; resolves with its error, if any. */
  private watchOnce(): Promise<Error | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      let watchdog: NodeJS.Timeout | undefined;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        this.state.connected = false;
        this.current = undefined;
        this.wake = undefined;
        resolve(error);
      };
      // A connection can die without a FIN (node gone, NAT timeout): if nothing, not even the
      // server's own timeout, ends the stream well after it should have, drop it.
      const armWatchdog = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(
          () => {
            const watch = this.current;
            finish(new KubeApiError(undefined, 'no answer past the watch timeout'));
            watch?.abort();
          },
          (this.options.watchTimeoutSeconds + 30) * 1000,
        );
        watchdog.unref();
      };
      this.wake = () => finish();
      armWatchdog();
      this.source
        .watch(
          {
            fieldSelector: this.options.fieldSelector,
            resourceVersion: this.state.resourceVersion,
            timeoutSeconds: this.options.watchTimeoutSeconds,
          },
          {
            event: (type, object) => {
              if (settled) return;
              this.state.connected = true;
              this.backoffMs = this.options.backoffInitialMs;
              const error = this.apply(type, object);
              if (error) {
                const watch = this.current;
                finish(error);
                watch?.abort();
              }
            },
            done: (error) => finish(error),
          },
        )
        .then(
          (watch) => {
            if (settled) return watch.abort();
            this.current = watch;
            this.state.watches++;
            this.state.connected = true;
          },
          (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
        );
    });
  }

  /** Applies one watch event; returns an error that must end the watch (ERROR events). */
  private apply(type: WatchEventType, object: unknown): Error | undefined {
    this.state.events++;
    if (type === 'ERROR') {
      // The API server reports an expired resourceVersion as an ERROR event carrying a Status.
      const status = object as { code?: number; message?: string } | undefined;
      return new KubeApiError(status?.code, `watch error event: ${status?.message ?? JSON.stringify(object)}`);
    }
    const version = (object as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
    if (type === 'BOOKMARK') {
      if (version) this.state.resourceVersion = version;
      return undefined;
    }
    const pod = this.read(object);
    if (version) this.state.resourceVersion = version;
    if (!pod) return undefined;
    if (type === 'DELETED') this.cache.delete(pod.uid);
    else this.cache.upsert(pod);
    return undefined;
  }

  private read(object: unknown): PodRecord | undefined {
    try {
      return podRecord(object);
    } catch (err) {
      if (!(err instanceof PodShapeError)) throw err;
      this.state.badObjects++;
      this.options.log?.(`pod watch: skipped: ${err.message}`);
      return undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(this.timer);
        resolve();
      };
    });
  }
}
