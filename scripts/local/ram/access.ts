/**
 * What the emulators ask before serving a signed request (D144): may the caller do `action` on `resource`? The
 * account's own key may do anything; a function's key (credentials.ts: the key id names its role) is held to
 * its role's policies. Each role's policy is compiled once, on the first request signed with its key.
 */
import { LOCAL_ACCOUNT_ID, roleOfAccessKey } from '../credentials';
import { CompiledPolicy, type RoleSpec } from './policy';

/** Plain data (it crosses into the TableStore thread): the template's roles, and where the resources live. */
export interface AccessSettings {
  roles: RoleSpec[];
  region: string;
  accountId?: string;
}

export interface Denial {
  role: string;
  action: string;
  resource: string;
  /** `ExplicitDeny` when a Deny statement matched, else `ImplicitDeny` (no Allow covers it). */
  kind: 'ExplicitDeny' | 'ImplicitDeny';
  /** One sentence for the service's own error message. */
  message: string;
}

export class AccessControl {
  readonly region: string;
  readonly accountId: string;
  private readonly roles: Map<string, RoleSpec>;
  private readonly compiled = new Map<string, CompiledPolicy>();

  constructor(settings: AccessSettings) {
    this.region = settings.region;
    this.accountId = settings.accountId ?? LOCAL_ACCOUNT_ID;
    this.roles = new Map(settings.roles.map((r) => [r.name.toLowerCase(), r]));
  }

  /** Undefined when allowed. A role the template does not declare has no policies: everything is denied. */
  check(accessKeyId: string, action: string, resource: string): Denial | undefined {
    const role = roleOfAccessKey(accessKeyId);
    return role === undefined ? undefined : this.checkRole(role, action, resource);
  }

  /** The role the templates declare by that name (RAM role names are case-insensitive), if any. */
  declaredRole(name: string | undefined): RoleSpec | undefined {
    return name ? this.roles.get(name.toLowerCase()) : undefined;
  }

  /** The same question asked of a role by name: what the platform does with a role on a resource's behalf (D152). */
  checkRole(role: string, action: string, resource: string): Denial | undefined {
    const key = role.toLowerCase();
    let policy = this.compiled.get(key);
    if (!policy) {
      policy = new CompiledPolicy(this.roles.get(key)?.statements ?? []);
      this.compiled.set(key, policy);
    }
    const decision = policy.decide(action, resource);
    if (decision === 'allow') return undefined;
    const kind = decision === 'explicit-deny' ? 'ExplicitDeny' : 'ImplicitDeny';
    const why = decision === 'explicit-deny' ? 'a Deny statement of its policies matches' : 'no policy of the role allows it';
    return { role, action, resource, kind, message: `RAM role ${role} may not ${action} on ${resource}: ${why} (the ROS template that declares the role).` };
  }
}

/** The local cloud's settings: the roles of its ROS templates, in its region. */
export function accessSettingsOf(spec: { region: string; infra: { roles: RoleSpec[] } }): AccessSettings {
  return { roles: spec.infra.roles, region: spec.region };
}
