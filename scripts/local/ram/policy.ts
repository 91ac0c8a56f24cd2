/**
 * RAM policies as the local cloud and `npm run validate` evaluate them (D144): statements of Effect, Action and
 * Resource, `*` matching any run of characters in both (RAM's wildcard), an explicit Deny winning over any
 * Allow, and no matching Allow meaning denied. Conditions are not evaluated: a statement with a Condition is
 * refused when the roles are read, never half-applied.
 */
export interface PolicyStatement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
}

/** A RAM role of the ROS template with every policy attached to it. */
export interface RoleSpec {
  name: string;
  /** The services that may assume it (`AssumeRolePolicyDocument`'s `Principal.Service`). */
  trustedServices: string[];
  statements: PolicyStatement[];
}

/** The published documents of the system policies the suite has attached, reduced to their statements. */
export const SYSTEM_POLICY_STATEMENTS: Record<string, PolicyStatement[]> = {
  AliyunOTSFullAccess: [{ effect: 'Allow', actions: ['ots:*'], resources: ['*'] }],
  AliyunOSSFullAccess: [{ effect: 'Allow', actions: ['oss:*'], resources: ['*'] }],
  AliyunMNSFullAccess: [{ effect: 'Allow', actions: ['mns:*'], resources: ['*'] }],
  AliyunFnFFullAccess: [{ effect: 'Allow', actions: ['fnf:*'], resources: ['*'] }],
  AliyunFCFullAccess: [{ effect: 'Allow', actions: ['fc:*'], resources: ['*'] }],
  AliyunFCInvocationAccess: [{ effect: 'Allow', actions: ['fc:InvokeFunction'], resources: ['*'] }],
};

/** RAM compares action names case-insensitively; resources as written (`*` any run of characters). */
function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

interface CompiledStatement {
  allow: boolean;
  actions: RegExp[];
  resources: RegExp[];
}

/** A role's statements compiled once; `decide` is then a few regex tests. */
export class CompiledPolicy {
  private readonly statements: CompiledStatement[];

  constructor(statements: PolicyStatement[]) {
    this.statements = statements.map((s) => ({ allow: s.effect === 'Allow', actions: s.actions.map((a) => wildcard(a, true)), resources: s.resources.map((r) => wildcard(r, false)) }));
  }

  /** 'allow', 'explicit-deny' (a Deny statement matched) or 'implicit-deny' (no Allow matched). */
  decide(action: string, resource: string): 'allow' | 'explicit-deny' | 'implicit-deny' {
    let allowed = false;
    for (const s of this.statements) {
      if (!s.actions.some((a) => a.test(action)) || !s.resources.some((r) => r.test(resource))) continue;
      if (!s.allow) return 'explicit-deny';
      allowed = true;
    }
    return allowed ? 'allow' : 'implicit-deny';
  }
}
