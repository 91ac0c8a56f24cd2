import type { FcContext } from '../../fc/types';
import type { ObjectStore } from '../../ports/object-store';
import { credentialsFrom } from '../credentials';
import { ossObjectStoreFromEnv } from '../oss-object-store';

/** The OSS bucket `bucket` (s.yaml sets its name in the environment, e.g. MEDIA_BUCKET). */
export function objectStoreFor(context: FcContext, bucket: string, env: NodeJS.ProcessEnv = process.env): ObjectStore {
  if (!bucket) throw new Error('bucket name is not set (s.yaml environmentVariables, e.g. MEDIA_BUCKET)');
  // Construction is ~20 µs (reference §3.1), so a client per invocation keeps STS rotation trivial.
  return ossObjectStoreFromEnv(env, credentialsFrom(context, env), bucket);
}
