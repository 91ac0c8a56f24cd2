import { AccessControl } from '../../scripts/local/ram/access';
import { CompiledPolicy } from '../../scripts/local/ram/policy';
import { LOCAL_CREDENTIALS, roleCredentials, roleOfAccessKey, secretFor, securityTokenFor, securityTokenProblem } from '../../scripts/local/credentials';

describe('RAM policy evaluation (D144)', () => {
  const policy = new CompiledPolicy([
    { effect: 'Allow', actions: ['ots:GetRow', 'oss:Get*'], resources: ['acs:ots:*:*:instance/shop/table/orders', 'acs:oss:*:1:media/*'] },
    { effect: 'Deny', actions: ['oss:GetObject'], resources: ['acs:oss:*:1:media/private/*'] },
  ]);

  it('allows what a statement names, with * as any run of characters and action names in any case', () => {
    expect(policy.decide('ots:GetRow', 'acs:ots:cn-hangzhou:1:instance/shop/table/orders')).toBe('allow');
    expect(policy.decide('OTS:getrow', 'acs:ots:cn-hangzhou:1:instance/shop/table/orders')).toBe('allow');
    expect(policy.decide('oss:GetObjectAcl', 'acs:oss:*:1:media/a/b.jpg')).toBe('allow');
  });

  it('denies what no statement allows, and lets an explicit Deny win over an Allow', () => {
    expect(policy.decide('ots:PutRow', 'acs:ots:cn-hangzhou:1:instance/shop/table/orders')).toBe('implicit-deny');
    expect(policy.decide('ots:GetRow', 'acs:ots:cn-hangzhou:1:instance/shop/table/users')).toBe('implicit-deny');
    // A resource pattern is not a prefix: `table/orders` does not cover `table/orders_archive`.
    expect(policy.decide('ots:GetRow', 'acs:ots:cn-hangzhou:1:instance/shop/table/orders_archive')).toBe('implicit-deny');
    expect(policy.decide('oss:GetObject', 'acs:oss:*:1:media/private/x')).toBe('explicit-deny');
  });

  it("gives each role its own key, holds it to the role's policies, and leaves the account's key alone", () => {
    const access = new AccessControl({ region: 'cn-hangzhou', roles: [{ name: 'Reader', trustedServices: ['fc.aliyuncs.com'], statements: [{ effect: 'Allow', actions: ['ots:GetRow'], resources: ['*'] }] }] });
    const reader = roleCredentials('Reader');
    expect(roleOfAccessKey(reader.accessKeyId)).toBe('Reader');
    expect(secretFor(reader.accessKeyId)).toBe(reader.accessKeySecret);
    expect(securityTokenFor(reader.accessKeyId)).toBe(reader.securityToken);
    expect(securityTokenProblem(reader.accessKeyId, LOCAL_CREDENTIALS.securityToken)?.code).toBe('InvalidSecurityToken.MismatchWithAccessKey');
    expect(access.check(reader.accessKeyId, 'ots:GetRow', 'acs:ots:cn-hangzhou:1:instance/x/table/y')).toBeUndefined();
    expect(access.check(reader.accessKeyId, 'ots:PutRow', 'acs:ots:cn-hangzhou:1:instance/x/table/y')).toMatchObject({ role: 'Reader', kind: 'ImplicitDeny', message: expect.stringContaining('may not ots:PutRow on acs:ots:cn-hangzhou:1:instance/x/table/y') as unknown });
    // A role the templates do not declare has no policy: nothing is allowed.
    expect(access.check(roleCredentials('ghost').accessKeyId, 'ots:GetRow', '*')).toMatchObject({ kind: 'ImplicitDeny' });
    expect(access.check(LOCAL_CREDENTIALS.accessKeyId, 'ots:DeleteTable', '*')).toBeUndefined();
  });
});
