/**
 * A web ReadableStream over a Node stream that is opened only when first read (a file, an
 * object fetched from S3), with the opener's errors translated for the reader.
 */
import type { Readable } from "node:stream";

export function lazyWebStream(
  open: (signal: AbortSignal) => Readable | Promise<Readable>,
  translateError: (error: unknown) => unknown = (error) => error,
): ReadableStream<Uint8Array> {
  const abort = new AbortController();
  let source: Readable | undefined;
  let chunks: AsyncIterator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!chunks) {
            source = await open(abort.signal);
            chunks = source[Symbol.asyncIterator]();
          }
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          source?.destroy();
          controller.error(translateError(error));
        }
      },
      cancel() {
        abort.abort();
        source?.destroy();
      },
    },
    // Pull only when the reader asks: nothing is opened for a stream nobody reads.
    { highWaterMark: 0 },
  );
}
