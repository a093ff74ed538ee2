/** Expected refusals of an issue operation; the HTTP layer maps `kind` onto its status codes. */
export type IssueErrorKind = 'not_found' | 'conflict' | 'invalid';

export class IssueError extends Error {
  constructor(
    readonly kind: IssueErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'IssueError';
  }
}
