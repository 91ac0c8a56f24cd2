/**
 * `@aws-sdk/client-s3` as the S3-compatibility tests drive it against the local OSS: the local AccessKey as S3
 * credentials, the error a call throws, and the Content-MD5 that OSS's DeleteObjects needs and the SDK no longer sends.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';

export const S3_CREDENTIALS = {
  accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
  secretAccessKey: LOCAL_CREDENTIALS.accessKeySecret,
  sessionToken: LOCAL_CREDENTIALS.securityToken,
};

/** The error an SDK call throws, as name + HTTP status + message. */
export async function s3Failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

/**
 * Adds a Content-MD5 of the body to DeleteObjects requests, before signing — the fallback AWS documents for
 * S3-compatible stores that require it, as OSS does (the SDK sends a CRC32 instead since 3.729).
 * `corrupt` makes the MD5 wrong, to see it checked.
 */
export function withContentMd5<C extends S3Client>(client: C, corrupt: () => boolean = () => false): C {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'DeleteObjectsCommand') {
        const request = args.request as { body: string; headers: Record<string, string> };
        request.headers['content-md5'] = createHash('md5').update(corrupt() ? `${request.body} ` : request.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'contentMd5ForDeleteObjects' },
  );
  return client;
}
