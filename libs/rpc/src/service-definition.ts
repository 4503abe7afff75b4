/**
 * A grpc-js service definition built from a protobufjs Service: handlers and clients exchange
 * protojson objects (protojson.ts), so the rest of Vigil sees the same shapes it uses for Kafka
 * and the JSON export. A Buffer written to a stream is taken as already encoded (streams encode
 * an event once for all their subscribers).
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type { Root, Type } from 'protobufjs';
import { messageFromJson, messageToJson } from './protojson';

type JsonObject = Record<string, unknown>;

export function serviceDefinition(root: Root, serviceName: string): ServiceDefinition {
  const service = root.lookupService(serviceName);
  const definition: Record<string, MethodDefinition<JsonObject, JsonObject>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: encoder(request),
      requestDeserialize: decoder(request),
      responseSerialize: encoder(response),
      responseDeserialize: decoder(response),
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition;
}

export function encoder(type: Type): (value: object) => Buffer {
  return (value) =>
    Buffer.isBuffer(value) ? value : Buffer.from(type.encode(messageFromJson(type, value as JsonObject)).finish());
}

function decoder(type: Type): (bytes: Buffer) => JsonObject {
  return (bytes) => messageToJson(type, type.decode(bytes));
}
