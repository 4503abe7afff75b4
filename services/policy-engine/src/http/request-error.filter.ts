import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { ServerResponse } from 'node:http';
import { RequestError } from '../domain/errors';

/** RequestError → JSON { statusCode, error, message, problems }; Nest's own HTTP errors pass as they are. */
@Catch(RequestError, HttpException)
export class RequestErrorFilter implements ExceptionFilter {
  catch(exception: RequestError | HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ServerResponse>();
    const status = exception instanceof RequestError ? exception.status : exception.getStatus();
    const body =
      exception instanceof RequestError
        ? {
            statusCode: status,
            error: STATUS_CODES[status],
            message: exception.message,
            ...(exception.problems.length ? { problems: exception.problems } : {}),
          }
        : exception.getResponse();
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    if (status === 401) res.setHeader('www-authenticate', 'Bearer realm="vigil-policy-engine"');
    res.end(JSON.stringify(body));
  }
}
