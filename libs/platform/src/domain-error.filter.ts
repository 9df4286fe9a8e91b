import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { throwError } from 'rxjs';
import { QueryFailedError } from 'typeorm';
import { DomainError, ErrorCode } from '@fg/common';

const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.VALIDATION]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.INVALID_SIGNATURE]: 401,
  [ErrorCode.TEMPLATE_MISSING_VALUE]: 422,
  [ErrorCode.TEMPLATE_NOT_FOUND]: 422,
  [ErrorCode.TEMPLATE_UNSAFE]: 422,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.PROVIDER_PERMANENT]: 502,
  [ErrorCode.PROVIDER_TRANSIENT]: 503,
  [ErrorCode.INVALID_MESSAGE]: 500,
  [ErrorCode.UNPROCESSABLE]: 422,
};

/** Maps domain errors to HTTP at the edge (`{ error: { code, message, details } }`); rethrows them to Kafka handlers. */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('Http');

  catch(err: unknown, host: ArgumentsHost) {
    // Kafka handlers (the microservice context): the consumer runner needs the error as thrown, so a DomainError
    // keeps its code and `retryable` (retry or dead-letter with the reason) instead of a generic RPC error.
    if (host.getType() === 'rpc') return throwError(() => err);
    const res = host.switchToHttp().getResponse<Response>();
    if (err instanceof DomainError) {
      res
        .status(STATUS[err.code])
        .json({ error: { code: err.code, message: err.message, details: err.details } });
      return;
    }
    // A value the database refused as data (bad encoding, out of range, not a valid uuid/date): the request's fault.
    if (err instanceof QueryFailedError) {
      const code = (err as QueryFailedError & { code?: string }).code ?? '';
      if (code.startsWith('22')) {
        res.status(400).json({
          error: {
            code: ErrorCode.VALIDATION,
            message: `(request): a value can't be stored (${err.message})`,
          },
        });
        return;
      }
    }
    const parserStatus = bodyParserStatus(err);
    if (parserStatus) {
      const { status, code, message } = parserStatus;
      res.status(status).json({ error: { code, message } });
      return;
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      // Nest's own 400s are about the body as a whole (e.g. JSON the parser refused): say so, like ours.
      if (status === 400) {
        res.status(400).json({ error: { code: ErrorCode.VALIDATION, message: `(body): ${err.message}` } });
        return;
      }
      res.status(status).json({ error: { code: `HTTP_${status}`, message: err.message } });
      return;
    }
    this.log.error('unhandled error', err instanceof Error ? err : new Error(String(err)));
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  }
}

/**
 * Errors of Express' body parsers (too large, malformed JSON, unsupported encoding or charset), which carry a 4xx
 * `status` and a `type` such as `entity.too.large`: a 413 or 400 naming the problem instead of a 500.
 */
function bodyParserStatus(err: unknown): { status: number; code: string; message: string } | null {
  const e = err as { status?: unknown; type?: unknown; limit?: unknown; expose?: unknown; code?: unknown };
  if (!e || typeof e !== 'object' || err instanceof HttpException || err instanceof DomainError) return null;
  if (typeof e.status !== 'number' || e.status < 400 || e.status >= 500 || e.expose !== true) return null;
  if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR')
    return { status: 400, code: ErrorCode.VALIDATION, message: '(body): not valid for its Content-Encoding' };
  switch (e.type) {
    case 'entity.too.large':
      return {
        status: 413,
        code: ErrorCode.PAYLOAD_TOO_LARGE,
        message: `(body): larger than this route accepts (${String(e.limit)} bytes)`,
      };
    case 'entity.parse.failed':
      return { status: 400, code: ErrorCode.VALIDATION, message: '(body): not valid JSON' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: `(body): ${(err as Error).message}` };
    default:
      return { status: e.status, code: ErrorCode.VALIDATION, message: `(body): ${(err as Error).message}` };
  }
}
