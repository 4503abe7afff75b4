/**
 * A gRPC server for Vigil's services: services added as protojson handlers, every call checked
 * by one `authorize` hook first, errors mapped to statuses (errors.ts), bound to a TCP address
 * ("127.0.0.1:54321", Tetragon's default) or a Unix socket ("unix:///run/vigil/vigil.sock").
 */
import {
  Server,
  ServerCredentials,
  status,
  type Metadata,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { requireToken } from './auth';
import { RpcError, toServiceError } from './errors';

type JsonObject = Record<string, unknown>;

/** What a handler knows of its call. */
export interface CallContext {
  method: string;
  metadata: Metadata;
  /** "ipv4:127.0.0.1:40000", "ipv6:[::1]:40000" or "unix:..." */
  peer: string;
}

export type UnaryHandler = (request: JsonObject, context: CallContext) => Promise<JsonObject> | JsonObject;
/** Writes to the stream until the call ends; returns when it is set up (it may keep writing). */
export type StreamHandler = (
  request: JsonObject,
  call: ServerWritableStream<JsonObject, JsonObject | Buffer>,
  context: CallContext,
) => void;

export interface ServiceHandlers {
  unary?: Record<string, UnaryHandler>;
  stream?: Record<string, StreamHandler>;
}

/** Throws RpcError (UNAUTHENTICATED / PERMISSION_DENIED) to refuse a call. */
export type Authorize = (context: CallContext) => void;

export interface RpcServerOptions {
  authorize?: Authorize;
  /** Largest request accepted (bytes): policies are YAML, so a few MB at most. */
  maxReceiveBytes?: number;
}

export class RpcServer {
  private readonly server: Server;
  private port?: number;

  constructor(private readonly options: RpcServerOptions = {}) {
    this.server = new Server({ 'grpc.max_receive_message_length': options.maxReceiveBytes ?? 4 * 1024 * 1024 });
  }

  /** Adds a service; methods without a handler answer UNIMPLEMENTED, naming the method. */
  addService(definition: ServiceDefinition, handlers: ServiceHandlers): void {
    const implementation: UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      const unary = handlers.unary?.[name];
      const stream = handlers.stream?.[name];
      if (unary) implementation[name] = this.unaryCall(name, unary);
      else if (stream) implementation[name] = this.streamCall(name, stream);
      else
        implementation[name] = method.responseStream
          ? this.streamCall(name, unimplemented(method.path))
          : this.unaryCall(name, unimplemented(method.path));
    }
    this.server.addService(definition, implementation);
  }

  /**
   * Binds and starts serving; resolves with the port (0 for a Unix socket). A Unix socket's
   * directory is created (0750); a socket file left by a process that died is replaced, one that
   * answers is an error (another server owns it).
   */
  async listen(address: string): Promise<number> {
    if (address.startsWith('unix:')) await prepareSocket(unixPath(address));
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(new Error(`cannot serve gRPC on ${address}: ${error.message}`)) : resolve(port),
      ),
    );
    return this.port;
  }

  /** Stops taking calls; ends open streams after `graceMs`. */
  async close(graceMs = 2_000): Promise<void> {
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      force.unref();
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private context(method: string, call: { metadata: Metadata; getPeer(): string }): CallContext {
    const context = { method, metadata: call.metadata, peer: call.getPeer() };
    this.options.authorize?.(context);
    return context;
  }

  private unaryCall(method: string, handler: UnaryHandler) {
    return (call: ServerUnaryCall<JsonObject, JsonObject>, callback: sendUnaryData<JsonObject>): void => {
      Promise.resolve()
        .then(() => handler(call.request, this.context(method, call)))
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        );
    };
  }

  private streamCall(method: string, handler: StreamHandler) {
    return (call: ServerWritableStream<JsonObject, JsonObject | Buffer>): void => {
      try {
        handler(call.request, call, this.context(method, call));
      } catch (error) {
        // grpc-js ends a server stream with a status when the stream emits an error carrying a code.
        call.emit('error', toServiceError(error));
      }
    };
  }
}

/**
 * A server with these services on `address`, started: every call must carry `token` when one is
 * given. Resolves with the server and the address it bound ("host:0" with its port).
 */
export async function serve(
  address: string,
  services: Array<{ definition: ServiceDefinition; handlers: ServiceHandlers }>,
  options: RpcServerOptions & { token?: string } = {},
): Promise<{ server: RpcServer; boundAddress: string }> {
  const { token, ...rest } = options;
  const server = new RpcServer(token ? { ...rest, authorize: requireToken(token) } : rest);
  for (const s of services) server.addService(s.definition, s.handlers);
  return { server, boundAddress: withPort(address, await server.listen(address)) };
}

/** The address a server bound: "host:0" with the port it got; other addresses as they are. */
export function withPort(address: string, port: number): string {
  return address.startsWith('unix:') ? address : address.replace(/:0$/, `:${port}`);
}

/** "unix:///run/x.sock" and "unix:/run/x.sock" → "/run/x.sock" (gRPC's naming). */
export function unixPath(address: string): string {
  return address.replace(/^unix:(\/\/)?/, '');
}

async function prepareSocket(file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isSocket()) return;
  const answers = await new Promise<boolean>((resolve) => {
    const probe = net.connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (answers) throw new Error(`cannot serve gRPC on unix://${file}: another process is serving there`);
  fs.rmSync(file, { force: true });
}

function unimplemented(path: string): () => never {
  return () => {
    throw new RpcError(status.UNIMPLEMENTED, `${path} is not implemented by Vigil`);
  };
}
