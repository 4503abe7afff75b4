/**
 * Actions carried out in user space when their hook's event arrives (Tetragon does the same):
 * GetUrl (an HTTP GET, e.g. to trigger a canary token) and DnsLookup (an A-record lookup of a
 * name, e.g. a DNS canary). They never delay events: each runs in the background, at most
 * `maxInFlight` at a time; beyond that a request is dropped and counted, never queued without bound.
 */
import { promises as dns } from 'node:dns';
import http from 'node:http';
import https from 'node:https';

export type UserAction = { kind: 'GetUrl'; url: string } | { kind: 'DnsLookup'; fqdn: string };

export interface UserActionOptions {
  /** Per request (ms); default 5000. */
  timeoutMs?: number;
  /** Requests running at once; default 32. */
  maxInFlight?: number;
  /** DNS servers ("ip" or "ip:port"); default the system's resolvers. */
  dnsServers?: string[];
}

export interface UserActionCounts {
  done: number;
  failed: number;
  /** Not started: maxInFlight were running. */
  dropped: number;
  lastError?: string;
}

export interface UserActionStats {
  getUrl: UserActionCounts;
  dnsLookup: UserActionCounts;
  inFlight: number;
}

export class UserActionRunner {
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly resolver: dns.Resolver;
  private readonly running = new Set<Promise<void>>();
  private readonly counts = {
    GetUrl: { done: 0, failed: 0, dropped: 0 } as UserActionCounts,
    DnsLookup: { done: 0, failed: 0, dropped: 0 } as UserActionCounts,
  };

  constructor(opts: UserActionOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxInFlight = opts.maxInFlight ?? 32;
    this.resolver = new dns.Resolver({ timeout: this.timeoutMs, tries: 1 });
    if (opts.dnsServers) this.resolver.setServers(opts.dnsServers);
  }

  /** Starts the actions; returns at once. */
  run(actions: readonly UserAction[]): void {
    for (const a of actions) {
      const counts = this.counts[a.kind];
      if (this.running.size >= this.maxInFlight) {
        counts.dropped++;
        continue;
      }
      const p = (a.kind === 'GetUrl' ? this.get(a.url) : this.resolver.resolve4(a.fqdn)).then(
        () => void counts.done++,
        (err: unknown) => {
          counts.failed++;
          counts.lastError = `${a.kind === 'GetUrl' ? a.url : a.fqdn}: ${err instanceof Error ? err.message : String(err)}`;
        },
      );
      this.running.add(p);
      void p.finally(() => this.running.delete(p));
    }
  }

  /** Resolves when every started action has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  stats(): UserActionStats {
    return { getUrl: { ...this.counts.GetUrl }, dnsLookup: { ...this.counts.DnsLookup }, inFlight: this.running.size };
  }

  private get(url: string): Promise<void> {
    const client = url.startsWith('https:') ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.get(url, { timeout: this.timeoutMs }, (res) => {
        res.resume(); // the body is not needed: the request is the signal
        res.on('end', () =>
          res.statusCode && res.statusCode < 400 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
    });
  }
}
