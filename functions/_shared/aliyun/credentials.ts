import type { FcContext, FcCredentials } from '../fc/types';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** Thrown when FC handed the function no credentials: it has no role (D157). */
export class NoRoleError extends Error {
  override name = 'NoRoleError';
}

/**
 * The function role's STS credentials: `context.credentials` first, then the standard `ALIBABA_CLOUD_*` variables
 * FC also sets. FC passes `{}` and sets no variables when the function has no role: that is said here, by name,
 * rather than left to surface as an SDK's signature or "missing AccessKeyId" failure on the first call.
 */
export function credentialsFrom(context: (Pick<FcContext, 'credentials'> & { function?: { name?: string } }) | undefined, env: NodeJS.ProcessEnv = process.env): Credentials {
  const c: FcCredentials = context?.credentials ?? {};
  const accessKeyId = c.accessKeyId || env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = c.accessKeySecret || env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  const securityToken = c.securityToken || env.ALIBABA_CLOUD_SECURITY_TOKEN;
  if (!accessKeyId || !accessKeySecret) {
    const name = context?.function?.name || env.FC_FUNCTION_NAME || '(unnamed)';
    throw new NoRoleError(
      `function ${name} has no role: FC gives it no credentials (context.credentials is {}, no ALIBABA_CLOUD_ACCESS_KEY_ID), so it cannot call OSS, TableStore, MNS, FC or CloudFlow; give it a role in s.yaml (props.role: acs:ram::<account>:role/<name>) whose policies allow the calls it makes`,
    );
  }
  return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
}
