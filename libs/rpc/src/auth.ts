/**
 * Bearer-token checks for gRPC calls ("authorization: Bearer <token>" metadata, as gRPC's
 * per-RPC credentials send it). Policy calls can kill processes fleet-wide: a server bound beyond
 * loopback must require a token (requireTokenBeyondLoopback).
 */
import { status } from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';
import { RpcError } from './errors';
import type { Authorize, CallContext } from './server';

/** The token a call carries, or undefined. */
export function bearerToken(context: CallContext): string | undefined {
  const value = context.metadata.get('authorization')[0];
  if (typeof value !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return m?.[1];
}

/** Every call must carry `token`. */
export function requireToken(token: string): Authorize {
  const expected = Buffer.from(token);
  return (context) => {
    const given = bearerToken(context);
    if (given === undefined)
      throw new RpcError(status.UNAUTHENTICATED, `${context.method}: missing "authorization: Bearer <token>" metadata`);
    const bytes = Buffer.from(given);
    if (bytes.length !== expected.length || !timingSafeEqual(bytes, expected))
      throw new RpcError(status.UNAUTHENTICATED, `${context.method}: the token is not valid`);
  };
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)(:\d+)?$/;

/** True for a Unix socket or a loopback TCP address ("127.0.0.1:54321", "localhost:54321", "[::1]:1"). */
export function isLocalAddress(address: string): boolean {
  return address.startsWith('unix:') || LOOPBACK.test(address.replace(/^dns:\/*/, '').replace(/^ipv[46]:/, ''));
}

/**
 * The configuration check for a gRPC address: beyond loopback a token is required. Returns the
 * reason when the combination is refused, undefined when it is fine.
 */
export function addressProblem(address: string, token: string | undefined): string | undefined {
  if (token || isLocalAddress(address)) return undefined;
  return `${address} is reachable beyond this machine: set a token, since these calls can change the policies that kill processes`;
}
