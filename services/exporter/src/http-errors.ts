import { HttpException, HttpStatus } from '@nestjs/common';
import { ParameterError } from './query-params';
import { UnknownPresetError } from './presets';
import { isRetryableStoreError } from './store-retry';

export class StoreNotReadyError extends Error {
  constructor(state: string, why?: string) {
    super(`the store is not ready (${state}${why ? `: ${why}` : ''})`);
    this.name = 'StoreNotReadyError';
  }
}

/** Bad input → 400 naming each parameter; unknown preset → 404; a store that is away → 503; else rethrown (500). */
export function toHttpError(err: unknown): unknown {
  if (err instanceof ParameterError)
    return new HttpException(
      { statusCode: 400, error: 'Bad Request', message: err.message, problems: err.problems },
      HttpStatus.BAD_REQUEST,
    );
  if (err instanceof UnknownPresetError)
    return new HttpException({ statusCode: 404, error: 'Not Found', message: err.message }, HttpStatus.NOT_FOUND);
  if (err instanceof StoreNotReadyError || isRetryableStoreError(err))
    return new HttpException(
      { statusCode: 503, error: 'Service Unavailable', message: (err as Error).message },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  return err;
}
