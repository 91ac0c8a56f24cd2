/**
 * The local cloud's one account. Its own key (printed by `npm start`, handed to users' scripts by
 * `/_local/api/endpoints`) has full access, as an account's own key does. Each function gets the temporary
 * credentials of its s.yaml `role` instead (D144), as FC hands it the role's STS credentials, and every emulator
 * verifies request signatures against them and evaluates the role's policies, so a signing bug or a missing
 * permission fails locally the way it would fail in the cloud.
 */
import { createHmac } from 'node:crypto';

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

/** A role's key ids carry the role's name, so any emulator (and the TableStore thread) derives secret and token alone. */
const ROLE_KEY_PREFIX = 'STS.LocalRole.';

const derived = (purpose: string, roleName: string) => createHmac('sha256', LOCAL_CREDENTIALS.accessKeySecret).update(`${purpose}:${roleName}`).digest('base64url');

/** The temporary credentials a function running as RAM role `roleName` receives (deterministic: the same across restarts). */
export function roleCredentials(roleName: string): LocalCredentials {
  return { accessKeyId: `${ROLE_KEY_PREFIX}${roleName}`, accessKeySecret: derived('secret', roleName), securityToken: `local-role-token.${derived('token', roleName)}` };
}

/** The role an access key id belongs to; undefined for the account's own key (and unknown keys). */
export function roleOfAccessKey(accessKeyId: string): string | undefined {
  return accessKeyId.startsWith(ROLE_KEY_PREFIX) ? accessKeyId.slice(ROLE_KEY_PREFIX.length) : undefined;
}

/** Secret for an access key id, or undefined when the key is unknown (→ InvalidAccessKeyId). */
export function secretFor(accessKeyId: string): string | undefined {
  if (accessKeyId === LOCAL_CREDENTIALS.accessKeyId) return LOCAL_CREDENTIALS.accessKeySecret;
  const role = roleOfAccessKey(accessKeyId);
  return role ? derived('secret', role) : undefined;
}

/** The security token that must come with an STS key id (undefined for a key without one). */
export function securityTokenFor(accessKeyId: string): string | undefined {
  if (accessKeyId === LOCAL_CREDENTIALS.accessKeyId) return LOCAL_CREDENTIALS.securityToken;
  const role = roleOfAccessKey(accessKeyId);
  return role ? `local-role-token.${derived('token', role)}` : undefined;
}

/**
 * The local keys are STS keys (`STS.` prefix), so the POP APIs (FC, FnF) want the security token with every
 * request — `SecurityToken` (RPC) or `x-acs-security-token` (ACS3) — as the cloud does for a role's credentials.
 * Undefined when the token is right (or the key is not an STS key).
 */
export function securityTokenProblem(accessKeyId: string, token: string | undefined): { status: number; code: string; message: string } | undefined {
  if (!accessKeyId.startsWith('STS.')) return undefined;
  if (!token) return { status: 400, code: 'MissingSecurityToken', message: 'SecurityToken is mandatory for this action.' };
  if (token !== securityTokenFor(accessKeyId)) return { status: 403, code: 'InvalidSecurityToken.MismatchWithAccessKey', message: 'Specified SecurityToken mismatch with the AccessKey.' };
  return undefined;
}
