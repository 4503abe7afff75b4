/**
 * tetragon.FineGuidanceSensors over a SensorsBackend: GetEvents (allow/deny lists and field
 * filters, Tetragon's semantics from libs/events), GetHealth, GetVersion, and the tracing policy
 * calls (Add, Delete, List, Configure and the deprecated Enable/Disable). The sensor calls
 * Tetragon deprecated, its debug and runtime-hook calls answer UNIMPLEMENTED.
 */
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import { tetragonRoot } from '@vigil/contracts';
import {
  compileEventFilter,
  compileFieldFilters,
  FilterError,
  type EventFilter,
  type FieldFilter,
  type GetEventsResponse,
} from '@vigil/events';
import { RpcError } from '../errors';
import type { CallContext, ServiceHandlers } from '../server';
import { encoder, serviceDefinition } from '../service-definition';
import type { PolicyRef, SensorsBackend, TracingPolicyBackend, TracingPolicyModeName } from './backend';
import { EventEncoder, EventStreamWriter, type EventStreamCounters } from './event-stream';

type JsonObject = Record<string, unknown>;

export const FINE_GUIDANCE_SENSORS = 'tetragon.FineGuidanceSensors';

export interface FineGuidanceSensorsOptions {
  /** Events a slow stream may hold before dropping (per stream). Default 10,000. */
  maxQueuedPerStream?: number;
}

export interface FineGuidanceSensors {
  definition: ReturnType<typeof serviceDefinition>;
  handlers: ServiceHandlers;
  stats(): EventStreamCounters;
}

export function fineGuidanceSensors(
  backend: SensorsBackend,
  options: FineGuidanceSensorsOptions = {},
): FineGuidanceSensors {
  const counters: EventStreamCounters = { open: 0, opened: 0, sent: 0, dropped: 0, encodeErrors: 0 };
  const events = new EventEncoder(
    encoder(tetragonRoot.lookupType('tetragon.GetEventsResponse')) as (e: GetEventsResponse) => Buffer,
  );
  const maxQueued = options.maxQueuedPerStream ?? 10_000;

  const getEvents = (request: JsonObject, call: ServerWritableStream<JsonObject, JsonObject | Buffer>): void => {
    const queue = streamQueue(request['aggregation_options'] as AggregationOptions | undefined, maxQueued);
    let pass: (event: GetEventsResponse) => boolean;
    let project: ((event: GetEventsResponse) => GetEventsResponse) | undefined;
    try {
      pass = compileEventFilter(
        (request['allow_list'] ?? []) as EventFilter[],
        (request['deny_list'] ?? []) as EventFilter[],
      );
      const fieldFilters = (request['field_filters'] ?? []) as FieldFilter[];
      if (fieldFilters.length > 0) project = compileFieldFilters(fieldFilters);
    } catch (e) {
      if (e instanceof FilterError) throw new RpcError(status.INVALID_ARGUMENT, e.message);
      throw e;
    }
    const writer = new EventStreamWriter(call as ServerWritableStream<unknown, Buffer>, queue, counters);
    counters.open++;
    counters.opened++;
    const unsubscribe = backend.events.subscribe((batch) => {
      for (const event of batch) {
        if (!pass(event)) continue;
        try {
          writer.write(project ? events.bytes(project(event), false) : events.bytes(event, true));
        } catch {
          counters.encodeErrors++;
        }
      }
    });
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      counters.open--;
      unsubscribe();
      writer.end();
    };
    call.on('cancelled', close);
    call.on('close', close);
    call.on('error', close);
  };

  const policies = (): TracingPolicyBackend => {
    if (!backend.policies) throw new RpcError(status.UNIMPLEMENTED, 'tracing policies are not managed here');
    return backend.policies;
  };
  const configure = async (
    request: JsonObject,
    change: { enable?: boolean; mode?: TracingPolicyModeName },
    context: CallContext,
  ) => {
    await policies().configure(policyRef(request), change, context);
    return {};
  };

  return {
    definition: serviceDefinition(tetragonRoot, FINE_GUIDANCE_SENSORS),
    stats: () => ({ ...counters }),
    handlers: {
      stream: { GetEvents: (request, call) => getEvents(request, call) },
      unary: {
        GetVersion: () => ({ version: backend.version }),
        GetHealth: async () => ({
          health_status: (await backend.health()).map((check) => ({
            event: 'HEALTH_STATUS_TYPE_STATUS',
            status: check.ok ? 'HEALTH_STATUS_RUNNING' : 'HEALTH_STATUS_ERROR',
            details: `${check.name}: ${check.details}`,
          })),
        }),
        AddTracingPolicy: async (request, context) => {
          const yaml = request['yaml'];
          if (typeof yaml !== 'string' || yaml.trim() === '')
            throw new RpcError(status.INVALID_ARGUMENT, 'yaml: the policy is empty');
          await policies().add(yaml, context);
          return {};
        },
        DeleteTracingPolicy: async (request, context) => {
          await policies().delete(policyRef(request), context);
          return {};
        },
        ListTracingPolicies: async (_request, context) => ({ policies: await policies().list(context) }),
        ConfigureTracingPolicy: (request, context) => {
          const change: { enable?: boolean; mode?: TracingPolicyModeName } = {};
          if (typeof request['enable'] === 'boolean') change.enable = request['enable'];
          if (request['mode'] !== undefined) change.mode = request['mode'] as TracingPolicyModeName;
          if (change.enable === undefined && change.mode === undefined)
            throw new RpcError(status.INVALID_ARGUMENT, 'neither enable nor mode is set: nothing to configure');
          return configure(request, change, context);
        },
        EnableTracingPolicy: (request, context) => configure(request, { enable: true }, context),
        DisableTracingPolicy: (request, context) => configure(request, { enable: false }, context),
      },
    },
  };
}

interface AggregationOptions {
  window_size?: string;
  channel_buffer_size?: string;
}

/** Streams never hold more than this many events, whatever a client asks for. */
const MAX_QUEUED = 100_000;

/**
 * A stream's queue bound. Aggregation as Tetragon does it: its aggregator forwards every event type
 * unaggregated (none is aggregated today), so events pass one by one here too; the options are
 * checked, and channel_buffer_size — the buffer Tetragon gives such a stream — bounds the queue.
 */
function streamQueue(options: AggregationOptions | undefined, fallback: number): number {
  if (!options) return fallback;
  const window = options.window_size;
  if (window !== undefined && (!/^\d+(\.\d+)?s$/.test(window) || parseFloat(window) <= 0))
    throw new RpcError(
      status.INVALID_ARGUMENT,
      `aggregation_options.window_size: ${window} is not a positive duration`,
    );
  const asked = Number(options.channel_buffer_size ?? 0);
  if (asked > MAX_QUEUED)
    throw new RpcError(
      status.INVALID_ARGUMENT,
      `aggregation_options.channel_buffer_size: at most ${MAX_QUEUED}, got ${asked}`,
    );
  return asked > 0 ? asked : fallback;
}

function policyRef(request: JsonObject): PolicyRef {
  const name = request['name'];
  if (typeof name !== 'string' || name === '') throw new RpcError(status.INVALID_ARGUMENT, 'name: required');
  return { name, namespace: typeof request['namespace'] === 'string' ? request['namespace'] : '' };
}
