/**
 * The S3-compatible API's signature and body checks against the examples AWS publishes for them (the S3 API
 * reference's SigV4 chunked-upload example and its V2 example), so the emulator agrees with AWS's own numbers and
 * not only with the SDK it is tested with. Plus the aws-chunked reader's failure cases, each of which must end in
 * an error rather than a short object.
 */
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { S3RequestBody, type S3BodyChecks } from '../../scripts/local/emulators/oss/s3-body';
import { authenticateS3, s3SigningKey, type ChunkSigning } from '../../scripts/local/emulators/oss/s3-signature';

const AWS_EXAMPLE_KEY = { id: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const lookup = (id: string) => (id === AWS_EXAMPLE_KEY.id ? { accessKeySecret: AWS_EXAMPLE_KEY.secret } : undefined);

// AWS's chunked-upload example (the values are AWS's): PUT /examplebucket/chunkObject.txt, 66560 bytes of 'a' in a 65536- and a 1024-byte chunk.
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const CHUNK_SIGNATURES = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
const EXAMPLE_SIGNING: ChunkSigning = {
  signingKey: s3SigningKey(AWS_EXAMPLE_KEY.secret, '20130524', 'us-east-1'),
  timestamp: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  seedSignature: SEED,
};

function exampleBody(signatures = CHUNK_SIGNATURES): Buffer {
  const sizes = [65536, 1024, 0];
  return Buffer.concat(sizes.flatMap((size, i) => [Buffer.from(`${size.toString(16)};chunk-signature=${signatures[i]}\r\n`), Buffer.alloc(size, 'a'), Buffer.from('\r\n')]));
}

/** A stand-in for the connection's request: the bytes, in pieces of `piece` bytes, then a complete end. */
function source(bytes: Buffer, piece = 7000): IncomingMessage {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += piece) pieces.push(bytes.subarray(at, at + piece));
  const stream = Readable.from(pieces) as Readable & { complete: boolean };
  stream.complete = false;
  stream.once('end', () => {
    stream.complete = true;
  });
  return stream as unknown as IncomingMessage;
}

async function read(body: S3RequestBody): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const signed = (overrides: Partial<S3BodyChecks> = {}): S3BodyChecks => ({ chunked: true, signing: () => EXAMPLE_SIGNING, trailers: [], decodedLength: 66560, ...overrides });

describe('SigV4 streaming (AWS chunked-upload example)', () => {
  test('the seed signature of the example request verifies', () => {
    const caller = authenticateS3(
      {
        method: 'PUT',
        rawPath: '/examplebucket/chunkObject.txt',
        hostBucket: undefined,
        query: [],
        headers: {
          host: 's3.amazonaws.com',
          'x-amz-date': '20130524T000000Z',
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
          authorization: `AWS4-HMAC-SHA256 Credential=${AWS_EXAMPLE_KEY.id}/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${SEED}`,
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': '66560',
          'content-length': '66824',
        },
      },
      { now: Date.UTC(2013, 4, 24, 0, 1), region: 'cn-hangzhou', lookup },
    );
    expect(caller).toMatchObject({ accessKeyId: AWS_EXAMPLE_KEY.id, version: 4, chunkSigning: { seedSignature: SEED, scope: EXAMPLE_SIGNING.scope } });
  });

  test('the example chunks decode to the object, whatever pieces they arrive in', async () => {
    for (const piece of [1, 100, 65536 + 90, 1 << 20]) {
      const body = new S3RequestBody(source(exampleBody(), piece), {}, signed());
      expect((await read(body)).equals(Buffer.alloc(66560, 'a'))).toBe(true);
      expect(body.complete).toBe(true);
    }
  });

  test.each([
    ['a chunk signature changed', exampleBody([CHUNK_SIGNATURES[0]!, CHUNK_SIGNATURES[2]!, CHUNK_SIGNATURES[2]!]), signed(), /chunk signature/],
    ['the final signature changed', exampleBody([CHUNK_SIGNATURES[0]!, CHUNK_SIGNATURES[1]!, CHUNK_SIGNATURES[0]!]), signed(), /chunk signature/],
    ['a chunk without its signature', Buffer.from('5\r\naaaaa\r\n0\r\n\r\n'), signed(), /needs a chunk-signature/],
    ['the body cut before the final chunk', exampleBody().subarray(0, 60000), signed(), /ended before its final chunk/],
    ['a chunk longer than declared', Buffer.from('2\r\naaa\r\n0\r\n\r\n'), { chunked: true, trailers: [] }, /longer than its declared size/],
    ['a decoded length that does not match', Buffer.from('3\r\naaa\r\n0\r\n\r\n'), { chunked: true, trailers: [], decodedLength: 4 }, /x-amz-decoded-content-length says 4/],
    ['an announced trailer missing', Buffer.from('3\r\naaa\r\n0\r\n\r\n'), { chunked: true, trailers: ['x-amz-checksum-crc32'], checksum: { name: 'x-amz-checksum-crc32', expected: undefined } }, /x-amz-checksum-crc32 announced/],
    ['a CRC32 trailer that does not match', Buffer.from('3\r\naaa\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'), { chunked: true, trailers: ['x-amz-checksum-crc32'], checksum: { name: 'x-amz-checksum-crc32', expected: undefined } }, /did not match/],
    ['a payload SHA-256 that does not match', Buffer.from('abc'), { chunked: false, trailers: [], payloadSha256: '0'.repeat(64) }, /x-amz-content-sha256/],
  ] as const)('%s is an error, not a short object', async (_name, bytes, checks, message) => {
    await expect(read(new S3RequestBody(source(Buffer.from(bytes)), {}, checks as S3BodyChecks))).rejects.toThrow(message);
  });

  // The well-known check values of the pangram: CRC32 414FA339, CRC32C 22620404, and its SHA-1 and SHA-256.
  test('checksums S3 clients send verify: CRC32 (trailer), CRC32C, SHA-1, SHA-256 (headers)', async () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    const crc32 = await read(new S3RequestBody(source(Buffer.from(`2b\r\n${data.toString()}\r\n0\r\nx-amz-checksum-crc32:QU+jOQ==\r\n\r\n`)), {}, { chunked: true, trailers: ['x-amz-checksum-crc32'], checksum: { name: 'x-amz-checksum-crc32', expected: undefined } }));
    expect(crc32.equals(data)).toBe(true);
    for (const [name, expected] of [
      ['x-amz-checksum-crc32c', 'ImIEBA=='],
      ['x-amz-checksum-sha1', 'L9ThxnotKPzthJ7hu3bnORuT6xI='],
      ['x-amz-checksum-sha256', '16j7swfXgJRpypq8sAguT41WUeRtPNt2LQLQvzfJ5ZI='],
    ] as const) {
      expect((await read(new S3RequestBody(source(data), {}, { chunked: false, trailers: [], checksum: { name, expected } }))).equals(data)).toBe(true);
    }
  });
});

describe('signature V2 (the S3 developer guide example)', () => {
  test('GET /photos/puppy.jpg on bucket johnsmith, virtual-hosted', () => {
    const caller = authenticateS3(
      {
        method: 'GET',
        rawPath: '/photos/puppy.jpg',
        hostBucket: 'johnsmith',
        query: [],
        headers: { host: 'johnsmith.localhost', date: 'Tue, 27 Mar 2007 19:36:42 +0000', authorization: `AWS ${AWS_EXAMPLE_KEY.id}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=` },
      },
      { now: Date.UTC(2007, 2, 27, 19, 40), region: 'cn-hangzhou', lookup },
    );
    expect(caller).toMatchObject({ accessKeyId: AWS_EXAMPLE_KEY.id, version: 2, mode: 'header' });
  });
});
