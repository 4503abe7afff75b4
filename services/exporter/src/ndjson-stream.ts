import type { Writable } from 'node:stream';

/**
 * Writes lines as NDJSON to `out`. The first line is read before `begin()` is called, so a
 * store that fails at once can still be answered with an error status; a failure after that
 * destroys the stream (the client sees a broken transfer, never a complete-looking partial
 * export). Stops reading when the client goes away. Resolves with the number of lines written.
 */
export async function streamNdjson(lines: AsyncIterable<string>, out: Writable, begin: () => void): Promise<number> {
  const it = lines[Symbol.asyncIterator]();
  let next = await it.next();
  begin();
  let count = 0;
  let gone = false;
  const onClose = (): void => {
    gone = true;
  };
  out.once('close', onClose);
  try {
    while (!next.done && !gone) {
      if (!out.write(`${next.value}\n`)) await drainedOrClosed(out);
      count++;
      next = await it.next();
    }
    if (!gone) out.end();
    return count;
  } catch (err) {
    out.destroy(err as Error);
    throw err;
  } finally {
    out.off('close', onClose);
    if (gone) await it.return?.();
  }
}

/** Resolves on 'drain' or 'close', removing both listeners (thousands of pages must not pile them up). */
function drainedOrClosed(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
