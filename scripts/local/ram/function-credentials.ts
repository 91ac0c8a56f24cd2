/**
 * The credentials FC hands one function (D157), in the three places FC puts them: `context.credentials`, the
 * `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `ALIBABA_CLOUD_SECURITY_TOKEN` variables, and — for custom runtimes,
 * custom containers and the Python runtime's server — the `x-fc-access-key-id` / `-secret` / `x-fc-security-token`
 * request headers. All three come from this one answer, so they cannot disagree.
 *
 * - A role the app's templates declare: the role's local STS key (D144), held to the role's policies.
 * - A role no template declares: its policies live in the account alone, so the account's own key (D144).
 * - No role: nothing. FC's context page says the keys exist "after you configure a role for a function" (FC calls
 *   AssumeRole for it); the custom-container headers "require a role to be configured"; a role-less FC 3.0
 *   function's context shows `credentials: {}`. Handing it the account's key made code work locally that fails
 *   in the cloud.
 */
import { LOCAL_CREDENTIALS, roleCredentials, type LocalCredentials } from '../credentials';
import type { RoleSpec } from './policy';

/** `{}` for a function without a role, as FC's context shows it; else all three fields. */
export type FunctionCredentials = LocalCredentials | Record<string, never>;

export function hasCredentials(credentials: FunctionCredentials): credentials is LocalCredentials {
  return typeof credentials.accessKeyId === 'string' && credentials.accessKeyId !== '';
}

/** What FC hands function `fn` (its s.yaml `role`, a role name) given the roles the app's templates declare. */
export function functionCredentials(fn: { role?: string }, spec: { infra: { roles: readonly RoleSpec[] } }): FunctionCredentials {
  if (!fn.role) return {};
  const declared = spec.infra.roles.find((r) => r.name.toLowerCase() === fn.role!.toLowerCase());
  return declared ? roleCredentials(declared.name) : { ...LOCAL_CREDENTIALS };
}

/**
 * The `ALIBABA_CLOUD_*` variables of those credentials; none without a role. A variable of that name in s.yaml's
 * `environment` is the developer's own and stays (FC sets these only with a role).
 */
export function credentialEnv(credentials: FunctionCredentials): Record<string, string> {
  if (!hasCredentials(credentials)) return {};
  return {
    ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken,
  };
}

/** FC's `x-fc-access-key-id` / `-secret` / `x-fc-security-token` headers; none without a role. */
export function credentialHeaders(credentials: FunctionCredentials): Record<string, string> {
  if (!hasCredentials(credentials)) return {};
  return {
    'x-fc-access-key-id': credentials.accessKeyId,
    'x-fc-access-key-secret': credentials.accessKeySecret,
    'x-fc-security-token': credentials.securityToken,
  };
}
