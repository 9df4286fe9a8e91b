/**
 * Domain errors carry a stable code. The HTTP edge maps codes to statuses; consumers map `retryable` to a
 * retry or a dead-letter. Domain code never throws HTTP exceptions.
 */
export enum ErrorCode {
  VALIDATION = 'VALIDATION',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  INVALID_SIGNATURE = 'INVALID_SIGNATURE',
  TEMPLATE_MISSING_VALUE = 'TEMPLATE_MISSING_VALUE',
  TEMPLATE_NOT_FOUND = 'TEMPLATE_NOT_FOUND',
  /** A template inserts a value without HTML escaping (saved before such templates were refused). */
  TEMPLATE_UNSAFE = 'TEMPLATE_UNSAFE',
  /** A request body larger than its route accepts. */
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  PROVIDER_PERMANENT = 'PROVIDER_PERMANENT',
  PROVIDER_TRANSIENT = 'PROVIDER_TRANSIENT',
  INVALID_MESSAGE = 'INVALID_MESSAGE',
  /** Understood but refused as it stands (e.g. an idempotency key reused with another body). */
  UNPROCESSABLE = 'UNPROCESSABLE',
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
