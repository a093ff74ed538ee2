import { DomainError, type DomainErrorKind } from '@strix/contracts';

/**
 * Every error a client can see, in one table: status and a stable code. The
 * message says what was wrong, which field and which limit.
 */
export const ErrorCodes = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  /** An attachment's reservation over the end user's or the project's attachment quota: the message names the limit and the usage. */
  user_quota_exhausted: 413,
  quota_exhausted: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  overloaded: 503,
} as const;
export type ErrorCode = keyof typeof ErrorCodes;

export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds the client should wait before retrying (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.statusCode = ErrorCodes[code];
  }
}

const domainErrorCodes: Record<DomainErrorKind, ErrorCode> = { not_found: 'not_found', conflict: 'conflict', invalid: 'bad_request', forbidden: 'forbidden' };

/** Maps fastify's own errors (body limit, bad JSON, bad content type) onto the table. */
export function toApiError(error: { code?: string; statusCode?: number; message: string }): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof DomainError) return new ApiError(domainErrorCodes[error.kind], error.message);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'request body exceeds the limit of 1048576 bytes (after decompression)');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'content-type must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('bad_request', 'request body is empty; expected a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('bad_request', `request body is not valid JSON: ${error.message}`);
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
      return new ApiError('bad_request', 'request body is not valid gzip');
    default:
      break;
  }
  if (error.statusCode === 413) return new ApiError('payload_too_large', error.message);
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError('bad_request', error.message);
  }
  return new ApiError('internal', 'internal error');
}
