import type { FcContext, FcCredentials } from '../fc/types';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/**
 * The function role's STS credentials: `context.credentials` first, then the standard
 * `ALIBABA_CLOUD_*` variables FC also sets. FC passes `{}` when the function has no role.
 */
export function credentialsFrom(context: Pick<FcContext, 'credentials'> | undefined, env: NodeJS.ProcessEnv = process.env): Credentials {
  const c: FcCredentials = context?.credentials ?? {};
  const accessKeyId = c.accessKeyId || env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = c.accessKeySecret || env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  const securityToken = c.securityToken || env.ALIBABA_CLOUD_SECURITY_TOKEN;
  if (!accessKeyId || !accessKeySecret) {
    throw new Error('no credentials: give the function a role (s.yaml props.role) so FC passes STS credentials');
  }
  return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
}
