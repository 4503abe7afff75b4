import { Injectable } from '@nestjs/common';

/** A named check that must pass before the service reports ready (e.g. "kafka connected"). */
export type ReadinessCheck = () => Promise<boolean> | boolean;

/**
 * Registry of readiness checks. Modules register what they depend on; /readyz runs them all.
 * Liveness (/healthz) stays independent: a service waiting for Kafka is alive but not ready.
 */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of this.checks) {
      try {
        checks[name] = await check();
      } catch {
        checks[name] = false;
      }
    }
    return { ready: Object.values(checks).every(Boolean), checks };
  }

  /** Each check as a health line (gRPC GetHealth): name, passing, and a word for humans. */
  async report(): Promise<Array<{ name: string; ok: boolean; details: string }>> {
    const { checks } = await this.evaluate();
    return Object.entries(checks).map(([name, ok]) => ({ name, ok, details: ok ? 'ready' : 'not ready' }));
  }
}
