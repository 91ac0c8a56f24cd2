/**
 * The local cloud's one account. Functions receive these as `context.credentials` (like FC's STS
 * credentials of the function role) and every emulator verifies request signatures against them, so a
 * signing bug fails locally the way it would fail in the cloud.
 */
export const LOCAL_ACCOUNT_ID = '1000000000000001';

export interface LocalCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
}

export const LOCAL_CREDENTIALS: LocalCredentials = {
  accessKeyId: 'STS.LocalCloudAccessKey',
  accessKeySecret: 'local-cloud-secret-never-valid-in-the-cloud',
  securityToken: 'local-cloud-security-token',
};

/** Secret for an access key id, or undefined when the key is unknown (→ InvalidAccessKeyId). */
export function secretFor(accessKeyId: string): string | undefined {
  return accessKeyId === LOCAL_CREDENTIALS.accessKeyId ? LOCAL_CREDENTIALS.accessKeySecret : undefined;
}

/**
 * The local key is an STS key (`STS.` prefix), so the POP APIs (FC, FnF) want its security token with every
 * request — `SecurityToken` (RPC) or `x-acs-security-token` (ACS3) — as the cloud does for a role's credentials.
 * Undefined when the token is right (or the key is not an STS key).
 */
export function securityTokenProblem(accessKeyId: string, token: string | undefined): { status: number; code: string; message: string } | undefined {
  if (!accessKeyId.startsWith('STS.')) return undefined;
  if (!token) return { status: 400, code: 'MissingSecurityToken', message: 'SecurityToken is mandatory for this action.' };
  if (token !== LOCAL_CREDENTIALS.securityToken) return { status: 403, code: 'InvalidSecurityToken.MismatchWithAccessKey', message: 'Specified SecurityToken mismatch with the AccessKey.' };
  return undefined;
}
