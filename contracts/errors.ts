/** Expected refusals of a domain operation (a missing record, a forbidden transition, a bad argument); the HTTP layer maps `kind` onto its status codes. */
export type DomainErrorKind = 'not_found' | 'conflict' | 'invalid' | 'forbidden';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
