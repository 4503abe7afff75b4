/**
 * The query presets of libs/store as HTTP queries: each reads and validates its parameters
 * (QueryParams), then runs on whichever store the exporter writes to. Same names as the store's
 * methods, so the README's table and the URL agree.
 */
import type { EventQueries } from '@vigil/store';
import { QueryParams } from './query-params';

export interface PresetAnswer {
  preset: string;
  result: unknown;
}

type Preset = (store: EventQueries, params: QueryParams) => Promise<unknown>;

/** Each preset reads all its parameters before calling params.done(), so every problem is reported. */
const PRESETS: Record<string, Preset> = {
  processTree(store, p) {
    const execId = p.requiredString('execId');
    const maxDepth = p.optionalInt('maxDepth', 1, 1_000);
    const maxDescendants = p.optionalInt('maxDescendants', 1, 1_000_000);
    p.done();
    return store.processTree({ execId, maxDepth, maxDescendants });
  },
  topBinaries(store, p) {
    const range = p.timeRange();
    const namespace = p.optionalString('namespace');
    const limit = p.optionalInt('limit', 1, 10_000);
    p.done();
    return store.topBinaries({ ...range, namespace, limit });
  },
  async firstSeen(store, p) {
    const binary = p.requiredString('binary');
    p.done();
    // null, not an empty body: "never ran" is an answer.
    return (await store.firstSeen(binary)) ?? null;
  },
  policyHits(store, p) {
    const range = p.timeRange();
    const policy = p.optionalString('policy');
    const bucketSeconds = p.optionalInt('bucketSeconds', 1, 366 * 86_400) ?? 60;
    p.done();
    return store.policyHits({ ...range, policy, bucketSeconds });
  },
  enforcementByWorkload(store, p) {
    const range = p.timeRange();
    p.done();
    return store.enforcementByWorkload(range);
  },
  connectionsByPod(store, p) {
    const range = p.timeRange();
    const namespace = p.optionalString('namespace');
    p.done();
    return store.connectionsByPod({ ...range, namespace });
  },
};

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

export class UnknownPresetError extends Error {
  constructor(readonly preset: string) {
    super(`no preset ${JSON.stringify(preset)}; presets: ${PRESET_NAMES.join(', ')}`);
    this.name = 'UnknownPresetError';
  }
}

/** Throws UnknownPresetError, ParameterError (bad input), or what the store threw. */
export async function runPreset(
  store: EventQueries,
  preset: string,
  query: Record<string, unknown>,
): Promise<PresetAnswer> {
  const run = Object.hasOwn(PRESETS, preset) ? PRESETS[preset] : undefined;
  if (!run) throw new UnknownPresetError(preset);
  return { preset, result: await run(store, new QueryParams(query)) };
}
