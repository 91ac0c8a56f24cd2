/**
 * Bucket policies, applied (D155) — before, a policy was stored and returned but never applied, so a Deny let
 * everything through and an Allow for anonymous readers answered 403. What OSS's bucket-policy pages describe,
 * reduced to what the local cloud's callers can be: anonymous, the bucket owner (the local account's own key),
 * or the functions' role sessions (D144). A statement applies to a caller when its `Principal` lists `*` — everyone
 * but the bucket owner, as OSS's Bucket Policy page says of a `*` statement without a condition — or, for a signed
 * request, the account's id; other principals (RAM users, other accounts) name no local caller.
 * Action and Resource take `*` as any run of characters (`acs:oss:*:*:bucket/prefix/*`). An explicit Deny wins;
 * an Allow opens what the ACL would refuse to an anonymous request (a signed one may already do anything).
 * `Condition` is refused by name when the policy is put: applying a statement without its condition would allow
 * or deny more than the cloud does.
 */
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../credentials';
import { ossErrors, OssError } from './errors';
import { ossRamResource } from './ram-actions';

interface Statement {
  deny: boolean;
  principals: string[];
  actions: RegExp[];
  resources: RegExp[];
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** RAM's wildcard: `*` any run, `?` one character; actions compare case-insensitively. */
function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'i' : '');
}

function invalid(message: string): OssError {
  return new OssError(400, 'InvalidPolicyDocument', message);
}

function strings(value: unknown, field: string): string[] {
  const list = asList(value);
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) throw invalid(`Every Statement needs a ${field}: a string or a list of strings.`);
  return list as string[];
}

/** The statements of a policy document as PutBucketPolicy checks it: shape errors 400, conditions 501. */
export function parseBucketPolicy(text: string): Statement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalid('The content of the policy document is not valid JSON.');
  }
  const statements = typeof doc === 'object' && doc !== null ? (doc as { Statement?: unknown }).Statement : undefined;
  if (!Array.isArray(statements) || statements.length === 0) throw invalid('A policy document needs a non-empty Statement list.');
  return statements.map((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null) throw invalid('Every Statement must be an object.');
    const s = raw as Record<string, unknown>;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw invalid('Every Statement needs an Effect (Allow or Deny) and an Action.');
    if (s.Action === undefined) throw invalid('Every Statement needs an Effect (Allow or Deny) and an Action.');
    if (s.Condition !== undefined) throw ossErrors.notImplemented('Bucket policy conditions (Condition: the statement would apply without them)');
    if (s.NotAction !== undefined || s.NotResource !== undefined || s.NotPrincipal !== undefined) throw ossErrors.notImplemented('Bucket policy NotAction, NotResource and NotPrincipal');
    return {
      deny: s.Effect === 'Deny',
      principals: strings(s.Principal, 'Principal'),
      actions: strings(s.Action, 'Action').map((a) => wildcard(a, true)),
      resources: strings(s.Resource, 'Resource').map((r) => wildcard(r, false)),
    };
  });
}

/** Parsed policies by their text: a bucket's policy changes rarely and is read on every request to it. */
const compiled = new Map<string, Statement[]>();

function statementsOf(text: string): Statement[] {
  let statements = compiled.get(text);
  if (!statements) {
    try {
      statements = parseBucketPolicy(text);
    } catch (error) {
      // A policy kept in a data folder from before D155 (when any shape was stored) that cannot be applied: every
      // request to the bucket says so, loudly, rather than skipping the policy; the owner can still delete it.
      const reason = error instanceof OssError ? error.message : String(error);
      throw ossErrors.notImplemented(`The bucket's stored policy cannot be applied (${reason}); DeleteBucketPolicy or put it again: applying it`);
    }
    if (compiled.size > 256) compiled.clear();
    compiled.set(text, statements);
  }
  return statements;
}

export type PolicyDecision = 'allow' | 'deny' | 'none';

/** What a bucket's policy says of one request: an explicit Deny, an Allow, or nothing (the ACL decides). */
export function bucketPolicyDecision(policyText: string, caller: { kind: 'anonymous' | 'owner' | 'role'; accountId: string }, action: string, resource: string): PolicyDecision {
  let allowed = false;
  for (const s of statementsOf(policyText)) {
    const names = (caller.kind !== 'owner' && s.principals.includes('*')) || (caller.kind !== 'anonymous' && s.principals.includes(caller.accountId));
    if (!names || !s.actions.some((a) => a.test(action)) || !s.resources.some((r) => r.test(resource))) continue;
    if (s.deny) return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'none';
}

/** OSS's answer to a request its bucket policy denies (the explicit-deny EC, as for RAM). */
export function deniedByBucketPolicy(action: string): OssError {
  return new OssError(403, 'AccessDenied', 'Access denied by bucket policy.', { AuthAction: action, NoPermissionType: 'ExplicitDeny' }, '0003-00000201');
}

/** Who a request is to a bucket policy: nobody, the bucket owner (the local account's key), or a role session. */
export function policyCallerKind(accessKeyId: string | undefined): 'anonymous' | 'owner' | 'role' {
  if (accessKeyId === undefined) return 'anonymous';
  return accessKeyId === LOCAL_CREDENTIALS.accessKeyId ? 'owner' : 'role';
}

/**
 * A bucket's policy applied to one request: throws OSS's AccessDenied on an explicit Deny, answers 'allow' when a
 * statement opens the request to this caller (the ACL is then not asked), 'none' otherwise or without a policy.
 */
export function checkBucketPolicy(policyText: string | undefined, accessKeyId: string | undefined, action: string, bucket: string, key: string | undefined): PolicyDecision {
  if (policyText === undefined) return 'none';
  const decision = bucketPolicyDecision(policyText, { kind: policyCallerKind(accessKeyId), accountId: LOCAL_ACCOUNT_ID }, action, ossRamResource(LOCAL_ACCOUNT_ID, bucket, key));
  if (decision === 'deny') throw deniedByBucketPolicy(action);
  return decision;
}
