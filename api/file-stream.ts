import { Readable } from 'node:stream';

/**
 * A file answer from engine chunks: the first chunk is read before the answer
 * starts, so a query the engine refuses is still an error answer, not a cut
 * file; a client that leaves ends the engine's query too (Fastify destroys the
 * stream, which returns the iterator).
 */
export async function fileFrom<T>(source: AsyncIterable<T>): Promise<Readable> {
  const chunks = source[Symbol.asyncIterator]();
  const first = await chunks.next();
  return Readable.from(
    (async function* () {
      try {
        if (!first.done) yield first.value;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      } finally {
        await chunks.return?.();
      }
    })(),
  );
}
