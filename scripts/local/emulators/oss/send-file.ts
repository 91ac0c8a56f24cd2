/**
 * Sending an object's bytes as a response body. A piped `fs.ReadStream` allocates a new buffer for every chunk it
 * reads: a 100 MB GET left ~100 MB of garbage per request and the GCs it triggers, a cost the emulator process
 * pays while sharing the machine's cores with the client receiving the bytes. Here two buffers take turns: one is
 * being read from the file while the other is being written to the socket, and a buffer is read into again only
 * once the socket has taken all of its bytes (the write callback), so the body streams with one read in flight,
 * constant memory and backpressure from the client (bench/README.md, OSS emulator).
 */
import { close, read } from 'node:fs';
import type { ServerResponse } from 'node:http';

/** Bytes per read and per socket write (the old ReadStream's highWaterMark). */
export const SEND_CHUNK_BYTES = 1024 * 1024;

function readAt(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, 0, length, position, (err, bytes) => (err ? reject(err) : resolve(bytes))));
}

/**
 * Writes bytes `start..end` (inclusive) of the open file `fd` to `res` and ends it; closes `fd` in every case.
 * The headers must already be written. A client that goes away stops the sending (resolves); a file that fails
 * to read or ends early rejects, after destroying the response, since its headers promised more bytes.
 */
export async function sendFileRange(res: ServerResponse, fd: number, start: number, end: number, chunkBytes = SEND_CHUNK_BYTES): Promise<void> {
  let gone = res.destroyed;
  const closed = new Promise<void>((resolve) => res.once('close', resolve)).then(() => {
    gone = true;
  });
  const size = Math.min(chunkBytes, end - start + 1);
  const buffers: (Buffer | undefined)[] = [undefined, undefined];
  let reading: Promise<number> | undefined;
  const startRead = (turn: number, position: number) => {
    const buffer = (buffers[turn] ??= Buffer.allocUnsafe(size));
    reading = readAt(fd, buffer, Math.min(size, end + 1 - position), position);
    // Awaited below unless the client leaves first; the `finally` waits for it either way.
    reading.catch(() => undefined);
  };
  try {
    let position = start;
    let turn = 0;
    let writing: Promise<void> = Promise.resolve();
    startRead(turn, position);
    while (!gone) {
      const bytes = await Promise.race([reading!, closed.then(() => 0)]);
      if (gone) return;
      if (bytes === 0) throw new Error(`object file ended at byte ${position}, before ${end + 1}`);
      position += bytes;
      // The other buffer is free once the socket has taken the previous chunk: read the next one into it.
      await Promise.race([writing, closed]);
      if (gone) return;
      if (position <= end) startRead(1 - turn, position);
      const chunk = bytes === buffers[turn]!.length ? buffers[turn]! : buffers[turn]!.subarray(0, bytes);
      writing = new Promise<void>((resolve) => res.write(chunk, () => resolve()));
      turn = 1 - turn;
      if (position > end) {
        await Promise.race([writing, closed]);
        if (!gone) res.end();
        return;
      }
    }
  } catch (err) {
    res.destroy();
    throw err;
  } finally {
    // A read still in flight must finish before its descriptor is closed (and possibly reused).
    await reading?.catch(() => undefined);
    close(fd, () => undefined);
  }
}
