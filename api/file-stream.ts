import { Readable } from 'node:stream';

/**
 * A file answer from engine chunks: the first chunk is read before the answer
 * starts, so a query the engine refuses is still an error answer, not a cut
 * file; a client that leaves ends the engine's query too, read or not.
 */
export async function fileFrom<T>(source: AsyncIterable<T>): Promise<Readable> {
  const chunks = source[Symbol.asyncIterator]();
  const first = await chunks.next();
  const file = Readable.from(
    (async function* () {
      try {
        if (!first.done) yield first.value;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      } finally {
        await chunks.return?.();
      }
    })(),
  );
  // A client gone before the first read never starts the generator above: its `finally` would not end the query.
  file.once('close', () => void chunks.return?.());
  return file;
}
