import { DomainError, type DomainErrorKind } from '@strix/contracts';

export type IssueErrorKind = DomainErrorKind;

/** An issue operation's expected refusal. */
export class IssueError extends DomainError {
  constructor(kind: IssueErrorKind, message: string) {
    super(kind, message);
    this.name = 'IssueError';
  }
}
