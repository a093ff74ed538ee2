/**
 * The BlobStore port: opaque files (attachments) kept beside the two
 * databases. Embedded, a directory (`DirectoryBlobStore` of `@strix/blobs`);
 * distributed, the same adapter on a directory every role mounts. Keys are
 * made by Strix, never from client text, and adapters still refuse any key
 * outside `isBlobKey`, so no key can name a path outside the store.
 */
import type { Readable } from 'node:stream';

export const maxBlobKeyChars = 200;

// Segments of lower-case letters, digits, `_` and `-`, joined by single `/`: no dot, so no `..` and no hidden name.
const blobKeyPattern = /^[a-z0-9][a-z0-9_-]*(?:\/[a-z0-9][a-z0-9_-]*)*$/;

export function isBlobKey(key: string): boolean {
  return key.length <= maxBlobKeyChars && blobKeyPattern.test(key);
}

/** What the caller declared for a body (an attachment's reservation): the store refuses anything else. */
export interface BlobExpectation {
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

export interface StoredBlob {
  readonly size: number;
  readonly sha256: string;
}

export interface BlobListing {
  readonly key: string;
  readonly size: number;
  readonly modifiedMs: number;
}

export interface OpenedBlob {
  readonly size: number;
  readonly stream: Readable;
}

export interface BlobStore {
  /**
   * Streams `body` under `key`, counting and hashing as it goes, and resolves
   * once the blob is durable (it survives a crash of the process or the host).
   * A body longer than declared is cut off at the first byte over. On any
   * refusal or error nothing is visible under `key`, and what was there before
   * stays. Writing a key again replaces it.
   */
  put(key: string, body: AsyncIterable<Uint8Array>, expect: BlobExpectation): Promise<StoredBlob>;
  /** The blob's bytes and size, or undefined when there is none. */
  open(key: string): Promise<OpenedBlob | undefined>;
  /** Removes the blob; nothing happens when there is none. */
  delete(key: string): Promise<void>;
  /** Every blob whose key starts with `prefix`, in no particular order (orphan sweeps compare them with their rows). */
  list(prefix?: string): AsyncIterable<BlobListing>;
  /**
   * Removes what uploads interrupted by a crash left, last written before
   * `beforeMs`; returns how many. A slow upload still running writes rarely:
   * give it as long as a reservation lives.
   */
  purgeIncomplete(beforeMs: number): Promise<number>;
}

/** Why `put` refused a body. */
export type BlobRejection = 'too_large' | 'too_small' | 'sha256_mismatch';

/** An expected refusal of `put`: the body did not match its declaration. The message names both. */
export class BlobRejectedError extends Error {
  constructor(
    readonly reason: BlobRejection,
    readonly expected: BlobExpectation,
    /** Bytes received (up to the first byte over, when too large), and their SHA-256 when the whole body came. */
    readonly received: { readonly size: number; readonly sha256?: string },
  ) {
    super(rejectionMessage(reason, expected, received));
    this.name = 'BlobRejectedError';
  }
}

function rejectionMessage(reason: BlobRejection, expected: BlobExpectation, received: { size: number; sha256?: string }): string {
  switch (reason) {
    case 'too_large':
      return `body: longer than the ${expected.size} bytes declared`;
    case 'too_small':
      return `body: ${received.size} bytes received, ${expected.size} declared`;
    case 'sha256_mismatch':
      return `body: its SHA-256 is ${received.sha256 ?? '?'}, ${expected.sha256} declared`;
    default: {
      const never: never = reason;
      return never;
    }
  }
}
