/**
 * Clients for Vigil's own tools (the `vigil` CLI, tests of Vigil's own services): protojson in
 * and out, promises for unary calls, async iterators for server streams, the token sent as
 * "authorization: Bearer". Tests of Tetragon wire compatibility use testing/tetragon-client.ts,
 * built from Tetragon's descriptor, instead.
 */
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type Client,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { tetragonRoot } from '@vigil/contracts';
import type { GetEventsResponse } from '@vigil/events';
import type { Root } from 'protobufjs';
import { serviceDefinition } from './service-definition';
import { FINE_GUIDANCE_SENSORS } from './sensors/fine-guidance-sensors';

type JsonObject = Record<string, unknown>;
type UnaryMethod = (
  request: JsonObject,
  metadata: Metadata,
  options: { deadline?: number },
  callback: (error: ServiceError | null, response: JsonObject) => void,
) => void;
type StreamMethod = (request: JsonObject, metadata: Metadata) => ClientReadableStream<JsonObject>;

export interface RpcClient {
  /** `metadata` replaces the client's own (e.g. a caller's authorization passed on). */
  call(
    method: string,
    request?: JsonObject,
    timeoutMs?: number,
    metadata?: Record<string, string>,
  ): Promise<JsonObject>;
  /** A server stream's messages until it ends or `signal` aborts (then the iterator just finishes). */
  stream(method: string, request: JsonObject, signal?: AbortSignal): AsyncIterable<JsonObject>;
  close(): void;
}

export function rpcClient(
  root: Root,
  serviceName: string,
  address: string,
  options: { token?: string } = {},
): RpcClient {
  const Constructor = makeGenericClientConstructor(serviceDefinition(root, serviceName), serviceName);
  const client = new Constructor(address, credentials.createInsecure()) as Client & Record<string, unknown>;
  const method = <T>(name: string): T => {
    const fn = client[name];
    if (typeof fn !== 'function') throw new Error(`no method ${name} in ${serviceName}`);
    return fn.bind(client) as T;
  };
  const metadata = (given?: Record<string, string>): Metadata => {
    const m = new Metadata();
    if (given) for (const [k, v] of Object.entries(given)) m.set(k, v);
    else if (options.token) m.set('authorization', `Bearer ${options.token}`);
    return m;
  };
  return {
    call(name, request = {}, timeoutMs = 30_000, given) {
      return new Promise((resolve, reject) =>
        method<UnaryMethod>(name)(request, metadata(given), { deadline: Date.now() + timeoutMs }, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      );
    },
    async *stream(name, request, signal) {
      const stream = method<StreamMethod>(name)(request, metadata());
      const abort = (): void => stream.cancel();
      if (signal?.aborted) abort();
      signal?.addEventListener('abort', abort, { once: true });
      try {
        for await (const message of stream) yield message as JsonObject;
      } catch (e) {
        if (!(signal?.aborted && (e as ServiceError).code === 1)) throw e;
      } finally {
        signal?.removeEventListener('abort', abort);
      }
    },
    close: () => client.close(),
  };
}

/** Tetragon's API of a collector or exporter (FineGuidanceSensors). */
export function sensorsClient(address: string, options: { token?: string } = {}): RpcClient {
  return rpcClient(tetragonRoot, FINE_GUIDANCE_SENSORS, address, options);
}

/** GetEvents as typed events. */
export function getEvents(
  client: RpcClient,
  request: JsonObject,
  signal?: AbortSignal,
): AsyncIterable<GetEventsResponse> {
  return client.stream('GetEvents', request, signal) as AsyncIterable<GetEventsResponse>;
}
