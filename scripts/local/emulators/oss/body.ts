/**
 * Request bodies streamed to a temp file while hashing (MD5 for the ETag, CRC-64 for x-oss-hash-crc64ecma,
 * SHA-256 for a signed payload), so a 100 MB upload never sits in memory. The file is flushed to disk
 * (`flush: true` → fsync before close) before anyone renames it into place.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { Crc64 } from './crc64';
import { OssError, ossErrors } from './errors';

export interface StagedBody {
  /** Temp file holding the bytes; the caller renames it into place or calls `discardBody`. */
  path: string;
  size: number;
  md5: Buffer;
  crc64: string;
  sha256Hex: string;
}

export interface ReceiveOptions {
  tmpDir: string;
  maxBytes: number;
  /** `Content-MD5` header (base64) to verify. */
  contentMd5?: string;
  /** `x-oss-content-sha256` header when it names a payload hash rather than UNSIGNED-PAYLOAD. */
  contentSha256?: string;
}

export function tempName(tmpDir: string): string {
  return join(tmpDir, `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`);
}

/** Bodies up to this size are read to their end before an error is answered (see `discardUnreadBody`). */
export const DISCARD_BEFORE_ERROR_BYTES = 16 * 1024 * 1024;

/**
 * Reads and drops what is left of a refused request's body before its error is answered, when the body declares
 * at most `DISCARD_BEFORE_ERROR_BYTES`. An answer sent mid-body has to close the connection (the rest must not be
 * parsed as a next request), and a client still sending then meets a reset — fetch's EPIPE, a browser's network
 * error — instead of the XML error. Larger or undeclared bodies are answered at once, with Connection: close.
 */
export function discardUnreadBody(req: IncomingMessage): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (req.complete || !(declared <= DISCARD_BEFORE_ERROR_BYTES)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    req.once('end', () => resolve());
    req.once('close', () => resolve());
    // Whatever was reading it (a form parser given up on) lets go; the bytes go nowhere.
    req.unpipe();
    req.removeAllListeners('data');
    req.resume();
  });
}

/**
 * Streams `req` into a temp file. On EntityTooLarge the rest of the body is drained and discarded (not the
 * socket destroyed) so the client still reads the error response.
 */
export async function receiveBody(req: IncomingMessage, options: ReceiveOptions): Promise<StagedBody> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    req.resume();
    throw ossErrors.entityTooLarge(options.maxBytes);
  }
  const path = tempName(options.tmpDir);
  const md5 = createHash('md5');
  // Only a signed payload hash needs SHA-256; most requests say UNSIGNED-PAYLOAD.
  const sha256 = options.contentSha256 === undefined ? undefined : createHash('sha256');
  const crc = new Crc64();
  let size = 0;
  const file = createWriteStream(path, { flags: 'wx', flush: true, highWaterMark: 1024 * 1024 });

  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        req.removeListener('data', onData);
        req.resume(); // drain the rest; the error response goes out with Connection: close
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) return fail(ossErrors.entityTooLarge(options.maxBytes));
        md5.update(chunk);
        sha256?.update(chunk);
        crc.update(chunk);
        if (!file.write(chunk)) {
          req.pause();
          file.once('drain', () => req.resume());
        }
      };
      req.on('data', onData);
      req.once('end', () => {
        // 'close' (not 'finish') comes after the flush-to-disk and close of the descriptor.
        if (!failed) file.end();
      });
      file.once('close', () => {
        if (!failed) resolve();
      });
      req.once('error', fail);
      req.once('close', () => {
        if (!req.complete) fail(new OssError(400, 'RequestAborted', 'The client closed the connection before the body was complete.'));
      });
      file.once('error', fail);
    });
  } catch (err) {
    file.destroy();
    await unlink(path).catch(() => undefined);
    throw err;
  }

  const staged: StagedBody = { path, size, md5: md5.digest(), crc64: crc.digest(), sha256Hex: sha256?.digest('hex') ?? '' };
  try {
    verifyDigests(staged, options);
  } catch (err) {
    await discardBody(staged);
    throw err;
  }
  return staged;
}

function verifyDigests(staged: StagedBody, options: ReceiveOptions): void {
  if (options.contentMd5 !== undefined) {
    const expected = Buffer.from(options.contentMd5, 'base64');
    if (expected.length !== 16) throw ossErrors.invalidDigest();
    if (!expected.equals(staged.md5)) throw ossErrors.invalidDigest('The Content-MD5 you specified did not match what we received.');
  }
  if (options.contentSha256 !== undefined && options.contentSha256.toLowerCase() !== staged.sha256Hex) {
    throw ossErrors.invalidDigest('The x-oss-content-sha256 you specified did not match what we received.');
  }
}

/**
 * Streams any readable (a PostObject form's file part) into a temp file while hashing, failing with
 * EntityTooLarge past `maxBytes` or EntityTooSmall under `minBytes`. The temp file is removed on any failure.
 */
export async function stageReadable(source: Readable, options: { tmpDir: string; maxBytes: number; minBytes?: number; tooLarge?: () => Error; tooSmall?: () => Error }): Promise<StagedBody> {
  const path = tempName(options.tmpDir);
  const md5 = createHash('md5');
  const crc = new Crc64();
  let size = 0;
  try {
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          size += chunk.length;
          if (size > options.maxBytes) throw options.tooLarge?.() ?? ossErrors.entityTooLarge(options.maxBytes);
          md5.update(chunk);
          crc.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(path, { flags: 'wx', flush: true }),
    );
    if (options.minBytes !== undefined && size < options.minBytes) throw options.tooSmall?.() ?? ossErrors.entityTooSmall();
  } catch (err) {
    source.resume();
    await unlink(path).catch(() => undefined);
    throw err;
  }
  return { path, size, md5: md5.digest(), crc64: crc.digest(), sha256Hex: '' };
}

/** Reads a small body (XML requests) into memory, with its own cap. */
export async function readSmallBody(req: IncomingMessage, maxBytes: number, contentMd5?: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) tooLarge = true; // keep draining so the client reads the error
    else chunks.push(chunk);
  }
  if (tooLarge) throw ossErrors.entityTooLarge(maxBytes);
  const body = Buffer.concat(chunks);
  if (contentMd5 !== undefined) {
    const digest = createHash('md5').update(body).digest();
    if (!Buffer.from(contentMd5, 'base64').equals(digest)) throw ossErrors.invalidDigest('The Content-MD5 you specified did not match what we received.');
  }
  return body;
}

export async function discardBody(staged: Pick<StagedBody, 'path'>): Promise<void> {
  await unlink(staged.path).catch(() => undefined);
}
