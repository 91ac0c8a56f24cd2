/**
 * Request bodies of S3 clients, as the operations read them: the bytes of the object, whatever framing and checks
 * the client wrapped them in.
 *
 * - `Content-Encoding: aws-chunked` (AWS SigV4 streaming): `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n` …
 *   a zero-size chunk, then trailer lines (`x-amz-checksum-crc32:<b64>`, `x-amz-trailer-signature:<sig>`) and an
 *   empty line. Signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`) are verified one by one, each chained
 *   to the previous signature from the request's own; unsigned ones with a trailer
 *   (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, what @aws-sdk/client-s3 ≥ 3.729 sends for stream bodies) only carry the
 *   checksum. `x-amz-decoded-content-length` must match what was decoded. OSS refuses both trailer modes, and so
 *   does `prepareS3Request` before a body is read (D121); their decoding stays here, unit-tested, so that accepting
 *   them is one line should OSS take them.
 * - Any body: a hex `x-amz-content-sha256` and an `x-amz-checksum-<algorithm>` header (or trailer) are checked
 *   against the bytes (CRC32, CRC32C, SHA-1, SHA-256; what the SDKs compute by default is CRC32).
 *
 * The reader is a Readable standing in for the IncomingMessage (same `headers`, `complete` once the body was whole
 * and verified), started lazily on first read so nothing is consumed before the signature was checked. A failed
 * check is an error on the stream: the operation reading it stores nothing and answers OSS's XML error.
 */
import { createHash, createHmac, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { OssError, ossErrors } from './errors';
import { EMPTY_SHA256, type ChunkSigning } from './s3-signature';

/** The checksum algorithms S3 clients send as `x-amz-checksum-<name>`, and how to compute them. */
interface Digest {
  update(chunk: Buffer): void;
  /** base64, as the header carries it */
  digest(): string;
}

function crc32Digest(): Digest {
  let value = 0;
  return {
    update: (chunk) => {
      value = crc32(chunk, value);
    },
    digest: () => uint32Base64(value),
  };
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32cDigest(): Digest {
  let value = 0xffffffff;
  return {
    update: (chunk) => {
      for (const byte of chunk) value = CRC32C_TABLE[(value ^ byte) & 0xff]! ^ (value >>> 8);
    },
    digest: () => uint32Base64((value ^ 0xffffffff) >>> 0),
  };
}

function hashDigest(algorithm: 'sha1' | 'sha256'): Digest {
  const hash = createHash(algorithm);
  return { update: (chunk) => hash.update(chunk), digest: () => hash.digest('base64') };
}

function uint32Base64(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString('base64');
}

const CHECKSUMS: Record<string, () => Digest> = {
  'x-amz-checksum-crc32': crc32Digest,
  'x-amz-checksum-crc32c': crc32cDigest,
  'x-amz-checksum-sha1': () => hashDigest('sha1'),
  'x-amz-checksum-sha256': () => hashDigest('sha256'),
};

/**
 * `x-amz-checksum-*` headers that are settings, not a body's checksum: the read mode, and the algorithm and type a
 * CreateMultipartUpload or CopyObject asks for (OSS keeps no S3 checksums, so they are taken and change nothing).
 */
const CHECKSUM_SETTINGS = new Set(['x-amz-checksum-mode', 'x-amz-checksum-type', 'x-amz-checksum-algorithm']);

/** The checksum a request names (header or trailer), or a refusal of one the emulator does not compute. */
export function checksumHeaderOf(names: Iterable<string>): string | undefined {
  for (const name of names) {
    if (!name.startsWith('x-amz-checksum-') || CHECKSUM_SETTINGS.has(name)) continue;
    if (!CHECKSUMS[name]) throw ossErrors.notImplemented(`The ${name.slice('x-amz-checksum-'.length).toUpperCase()} checksum (${name})`);
    return name;
  }
  return undefined;
}

export interface S3BodyChecks {
  /** The body is aws-chunked framed. */
  chunked: boolean;
  /** Chunk (and trailer) signatures to verify, for STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]. */
  signing?: () => ChunkSigning | undefined;
  signedTrailer?: boolean;
  /** Trailer names the client announced in `x-amz-trailer`. */
  trailers: string[];
  /** `x-amz-decoded-content-length`. */
  decodedLength?: number;
  /** A hex `x-amz-content-sha256` of the (decoded) payload. */
  payloadSha256?: string;
  /** `x-amz-checksum-*` header name, and its value when it came as a header rather than a trailer. */
  checksum?: { name: string; expected: string | undefined };
}

const MAX_LINE_BYTES = 8 * 1024;
const CRLF = Buffer.from('\r\n');

function badBody(message: string): OssError {
  return new OssError(400, 'IncompleteBody', message);
}

/** The body of an S3 client's request, decoded and verified (see the module comment). */
export class S3RequestBody extends Readable {
  readonly headers: IncomingHttpHeaders;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly socket: IncomingMessage['socket'];
  /** True once the whole body arrived and every check passed (as IncomingMessage.complete). */
  complete = false;

  private started = false;
  private pending: Buffer = Buffer.alloc(0);
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private remaining = 0;
  private decoded = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature = '';
  private previousSignature = '';
  private readonly trailerValues = new Map<string, string>();
  private readonly checksum: Digest | undefined;
  private readonly payloadHash: Hash | undefined;

  constructor(
    private readonly source: IncomingMessage,
    headers: IncomingHttpHeaders,
    private readonly checks: S3BodyChecks,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.headers = headers;
    this.method = source.method;
    this.url = source.url;
    this.socket = source.socket;
    this.checksum = checks.checksum ? CHECKSUMS[checks.checksum.name]!() : undefined;
    this.payloadHash = checks.payloadSha256 !== undefined ? createHash('sha256') : undefined;
  }

  override _read(): void {
    if (this.started) {
      this.source.resume();
      return;
    }
    this.started = true;
    if (this.checks.signing) this.previousSignature = this.checks.signing()?.seedSignature ?? '';
    this.source.on('data', (chunk: Buffer) => {
      try {
        if (this.checks.chunked) this.parse(chunk);
        else this.emitData(chunk);
      } catch (err) {
        this.fail(err);
      }
    });
    this.source.once('end', () => {
      try {
        if (this.checks.chunked && this.state !== 'done') throw badBody('The aws-chunked body ended before its final chunk.');
        this.finish();
      } catch (err) {
        this.fail(err);
      }
    });
    this.source.once('error', (err) => this.fail(err));
    this.source.once('close', () => {
      if (!this.source.complete) this.fail(new OssError(400, 'RequestAborted', 'The client closed the connection before the body was complete.'));
    });
  }

  private fail(err: unknown): void {
    if (this.destroyed) return;
    this.source.removeAllListeners('data');
    this.source.resume(); // drain; the error answer goes out with Connection: close
    this.destroy(err instanceof Error ? err : new Error(String(err)));
  }

  private emitData(data: Buffer): void {
    if (data.length === 0) return;
    this.decoded += data.length;
    this.checksum?.update(data);
    this.payloadHash?.update(data);
    this.chunkHash?.update(data);
    if (!this.push(data)) this.source.pause();
  }

  private parse(input: Buffer): void {
    this.pending = this.pending.length === 0 ? input : Buffer.concat([this.pending, input]);
    for (;;) {
      if (this.state === 'data') {
        if (this.pending.length === 0) return;
        const take = Math.min(this.remaining, this.pending.length);
        this.emitData(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        if (this.remaining > 0) return;
        this.state = 'data-end';
        continue;
      }
      if (this.state === 'done') {
        if (this.pending.length > 0) throw badBody('Bytes follow the end of the aws-chunked body.');
        return;
      }
      if (this.state === 'data-end') {
        if (this.pending.length < 2) return;
        if (!this.pending.subarray(0, 2).equals(CRLF)) throw badBody('An aws-chunked chunk is longer than its declared size.');
        this.pending = this.pending.subarray(2);
        this.verifyChunkSignature();
        this.state = 'size';
        continue;
      }
      const end = this.pending.indexOf(CRLF);
      if (end < 0) {
        if (this.pending.length > MAX_LINE_BYTES) throw badBody('An aws-chunked header line is too long.');
        return;
      }
      const line = this.pending.subarray(0, end).toString('latin1');
      this.pending = this.pending.subarray(end + 2);
      if (this.state === 'size') this.startChunk(line);
      else this.trailerLine(line);
    }
  }

  private startChunk(line: string): void {
    const m = /^([0-9a-fA-F]+)(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(line.trim());
    if (!m) throw badBody(`Malformed aws-chunked chunk header: ${JSON.stringify(line.slice(0, 100))}.`);
    const size = parseInt(m[1]!, 16);
    if (this.checks.signing && m[2] === undefined) throw badBody('Every chunk of a signed streaming payload needs a chunk-signature.');
    this.chunkSignature = m[2] ?? '';
    this.chunkHash = this.checks.signing ? createHash('sha256') : undefined;
    if (size === 0) {
      this.verifyChunkSignature();
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.state = 'data';
  }

  private trailerLine(line: string): void {
    if (line === '') {
      this.state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw badBody(`Malformed aws-chunked trailer: ${JSON.stringify(line.slice(0, 100))}.`);
    this.trailerValues.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }

  /** Chunk string to sign: algorithm, time, scope, the previous signature, hash(''), hash(chunk data). */
  private verifyChunkSignature(): void {
    const signing = this.checks.signing?.();
    if (!signing || !this.chunkHash) return;
    const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.timestamp, signing.scope, this.previousSignature, EMPTY_SHA256, this.chunkHash.digest('hex')].join('\n');
    this.expectSignature(signing, stringToSign, this.chunkSignature);
  }

  private expectSignature(signing: ChunkSigning, stringToSign: string, provided: string): void {
    const expected = createHmac('sha256', signing.signingKey).update(stringToSign).digest('hex');
    if (expected !== provided) {
      throw new OssError(403, 'SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.', { StringToSign: stringToSign, SignatureProvided: provided }, '0002-00000430');
    }
    this.previousSignature = provided;
  }

  private finish(): void {
    const checks = this.checks;
    if (checks.chunked) {
      for (const name of checks.trailers) {
        if (!this.trailerValues.has(name)) throw badBody(`The trailer ${name} announced in x-amz-trailer did not come.`);
      }
      const signing = checks.signing?.();
      if (checks.signedTrailer && signing) {
        const provided = this.trailerValues.get('x-amz-trailer-signature') ?? '';
        const lines = [...this.trailerValues].filter(([name]) => name !== 'x-amz-trailer-signature').map(([name, value]) => `${name}:${value}\n`).join('');
        this.expectSignature(signing, ['AWS4-HMAC-SHA256-TRAILER', signing.timestamp, signing.scope, this.previousSignature, createHash('sha256').update(lines).digest('hex')].join('\n'), provided);
      }
      if (checks.decodedLength !== undefined && checks.decodedLength !== this.decoded) {
        throw badBody(`x-amz-decoded-content-length says ${checks.decodedLength} bytes; the chunks carried ${this.decoded}.`);
      }
    }
    if (this.payloadHash && this.payloadHash.digest('hex') !== checks.payloadSha256!.toLowerCase()) {
      throw ossErrors.invalidDigest('The x-amz-content-sha256 you specified did not match what we received.');
    }
    if (checks.checksum && this.checksum) {
      const expected = checks.checksum.expected ?? this.trailerValues.get(checks.checksum.name);
      const actual = this.checksum.digest();
      if (expected !== undefined && expected !== actual) {
        throw new OssError(400, 'InvalidDigest', `The ${checks.checksum.name} you specified did not match what we received.`, { Expected: expected, Calculated: actual });
      }
    }
    this.complete = true;
    this.push(null);
  }
}
