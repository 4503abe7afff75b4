/**
 * A FineGuidanceSensors client built from TETRAGON's descriptor (shared/tetragon-api), not from
 * proto/tetragon: what tests use to prove that a client generated for Tetragon works against
 * Vigil unchanged. Messages are protobufjs objects as Tetragon's schema decodes them (wrappers as
 * { value }, enums as names, 64-bit integers as strings).
 */
import fs from 'node:fs';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type Client,
  type ClientReadableStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { tetragonDescriptor } from '@vigil/contracts';
import { Root, type INamespace, type Type } from 'protobufjs';

type JsonObject = Record<string, unknown>;

export interface TetragonClient {
  unary(method: string, request?: JsonObject): Promise<JsonObject>;
  /** The GetEvents stream; events arrive as decoded objects. */
  getEvents(request?: JsonObject): ClientReadableStream<JsonObject>;
  close(): void;
}

export function tetragonClient(descriptorPath: string, address: string, token?: string): TetragonClient {
  const theirs = JSON.parse(fs.readFileSync(descriptorPath, 'utf8')) as INamespace;
  // Tetragon's descriptor names google.protobuf types without defining them: take the standard ones.
  const google = (tetragonDescriptor as INamespace).nested!['google']!;
  const root = Root.fromJSON({ nested: { ...theirs.nested, google } });
  const service = root.lookupService('tetragon.FineGuidanceSensors');
  const definition: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/tetragon.FineGuidanceSensors/${method.name}`,
      requestStream: false,
      responseStream: Boolean(method.responseStream),
      requestSerialize: (v: JsonObject) => Buffer.from(request.encode(request.fromObject(v)).finish()),
      requestDeserialize: decode(request),
      responseSerialize: (v: JsonObject) => Buffer.from(response.encode(response.fromObject(v)).finish()),
      responseDeserialize: decode(response),
    };
  }
  const Constructor = makeGenericClientConstructor(definition as ServiceDefinition, 'FineGuidanceSensors');
  type Method = (this: Client, ...args: unknown[]) => unknown;
  const client = new Constructor(address, credentials.createInsecure()) as Client & Record<string, Method>;
  const metadata = (): Metadata => {
    const m = new Metadata();
    if (token) m.set('authorization', `Bearer ${token}`);
    return m;
  };
  return {
    unary: (method, request = {}) =>
      new Promise((resolve, reject) =>
        client[method]!.call(client, request, metadata(), (error: Error | null, response: JsonObject) =>
          error ? reject(error) : resolve(response),
        ),
      ),
    getEvents: (request = {}) =>
      client['GetEvents']!.call(client, request, metadata()) as ClientReadableStream<JsonObject>,
    close: () => client.close(),
  };
}

function decode(type: Type): (bytes: Buffer) => JsonObject {
  return (bytes) => type.toObject(type.decode(bytes), { longs: String, enums: String, defaults: false }) as JsonObject;
}
