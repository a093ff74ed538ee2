import type { Attachment } from './api.ts';
import type { Platform } from './platform.ts';
import type { Destination } from './transport.ts';

/** Uploads an error's files (Node); resolves with what it did, never rejects. */
export type AttachmentUploader = (
  attachments: readonly Attachment[],
  owner: { clientEventId: string; userId: string | undefined },
  to: Destination,
  platform: Platform,
) => Promise<{ uploaded: number; failed: number; lastError?: string }>;

/** Errors whose files wait to upload at most; more are dropped (a crash loop must not queue files without bound). */
const maxPending = 10;

/** The files of errors, uploaded one error at a time after the call returned. */
export class AttachmentQueue {
  uploaded = 0;
  failed = 0;
  lastError: string | undefined;
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly uploader: AttachmentUploader | undefined,
    private readonly to: Destination,
    private readonly platform: Platform,
  ) {}

  add(attachments: readonly Attachment[], owner: { clientEventId: string; userId: string | undefined }): void {
    const uploader = this.uploader;
    if (!uploader || this.pending >= maxPending) {
      this.failed += attachments.length;
      this.lastError = uploader ? `attachments: more than ${maxPending} errors' files waiting; these were dropped` : 'attachments: not supported here (Node only)';
      return;
    }
    this.pending++;
    this.chain = this.chain
      .then(() => uploader(attachments, owner, this.to, this.platform))
      .then(
        (done) => {
          this.uploaded += done.uploaded;
          this.failed += done.failed;
          if (done.lastError) this.lastError = done.lastError;
        },
        () => void (this.failed += attachments.length),
      )
      .finally(() => void this.pending--);
  }

  /** Resolves once every file queued so far is uploaded or has failed. */
  settled(): Promise<void> {
    return this.chain;
  }
}
