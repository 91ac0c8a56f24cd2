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
