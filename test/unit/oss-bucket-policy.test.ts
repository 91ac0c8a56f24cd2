import { bucketPolicyDecision, parseBucketPolicy } from '../../scripts/local/emulators/oss/bucket-policy';

/** D155: a bucket policy as the local OSS applies it, for each kind of local caller. */
const ACCOUNT = '1000000000000001';
const policy = (...statements: object[]) => JSON.stringify({ Version: '1', Statement: statements });
const res = (key: string) => `acs:oss:*:${ACCOUNT}:photos/${key}`;
const as = (kind: 'anonymous' | 'owner' | 'role') => ({ kind, accountId: ACCOUNT });

describe('bucket policy decisions', () => {
  const everyoneReads = policy({ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['acs:oss:*:*:photos/public/*'] });

  it('opens to anonymous readers what an Allow for * names, and nothing else', () => {
    expect(bucketPolicyDecision(everyoneReads, as('anonymous'), 'oss:GetObject', res('public/a.jpg'))).toBe('allow');
    expect(bucketPolicyDecision(everyoneReads, as('anonymous'), 'oss:GetObject', res('private/a.jpg'))).toBe('none');
    expect(bucketPolicyDecision(everyoneReads, as('anonymous'), 'oss:PutObject', res('public/a.jpg'))).toBe('none');
  });

  it('applies a Deny for * to anonymous callers and role sessions but not to the bucket owner (no condition)', () => {
    const denyAll = policy({ Effect: 'Deny', Action: ['oss:*'], Principal: '*', Resource: 'acs:oss:*:*:photos/*' });
    expect(bucketPolicyDecision(denyAll, as('anonymous'), 'oss:GetObject', res('a'))).toBe('deny');
    expect(bucketPolicyDecision(denyAll, as('role'), 'oss:PutObject', res('a'))).toBe('deny');
    expect(bucketPolicyDecision(denyAll, as('owner'), 'oss:PutObject', res('a'))).toBe('none');
  });

  it('applies a statement naming the account to signed callers only; an explicit Deny wins over an Allow', () => {
    const mixed = policy(
      { Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Principal: [ACCOUNT], Resource: ['acs:oss:*:*:photos/*'] },
      { Effect: 'Deny', Action: ['oss:PutObject'], Principal: [ACCOUNT], Resource: ['acs:oss:*:*:photos/locked/*'] },
    );
    expect(bucketPolicyDecision(mixed, as('owner'), 'oss:PutObject', res('locked/x'))).toBe('deny');
    expect(bucketPolicyDecision(mixed, as('role'), 'oss:PutObject', res('open/x'))).toBe('allow');
    expect(bucketPolicyDecision(mixed, as('anonymous'), 'oss:GetObject', res('open/x'))).toBe('none');
  });

  it('names no local caller with another principal (a RAM user of another account)', () => {
    const other = policy({ Effect: 'Deny', Action: ['oss:*'], Principal: ['20000000000000002'], Resource: ['*'] });
    for (const kind of ['anonymous', 'owner', 'role'] as const) expect(bucketPolicyDecision(other, as(kind), 'oss:GetObject', res('a'))).toBe('none');
  });

  it('refuses at PutBucketPolicy what it would not apply, and what is not a policy', () => {
    expect(() => parseBucketPolicy(policy({ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['*'], Condition: { Bool: { 'acs:SecureTransport': ['true'] } } }))).toThrow(
      expect.objectContaining({ status: 501, code: 'NotImplemented', message: expect.stringMatching(/Condition/) }),
    );
    expect(() => parseBucketPolicy(policy({ Effect: 'Allow', NotAction: ['oss:GetObject'], Action: ['oss:*'], Principal: ['*'], Resource: ['*'] }))).toThrow(expect.objectContaining({ status: 501 }));
    expect(() => parseBucketPolicy(policy({ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['*'] }))).toThrow(expect.objectContaining({ status: 400, code: 'InvalidPolicyDocument', message: expect.stringMatching(/Principal/) }));
    expect(() => parseBucketPolicy('{"Version":"1"}')).toThrow(expect.objectContaining({ code: 'InvalidPolicyDocument' }));
    expect(() => parseBucketPolicy('not json')).toThrow(expect.objectContaining({ code: 'InvalidPolicyDocument' }));
  });
});

describe('a stored policy that cannot be applied (kept from before D155)', () => {
  it('refuses the request by name instead of skipping the policy', () => {
    const old = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Deny', Action: ['oss:*'], Principal: ['*'], Resource: ['*'], Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } } }] });
    expect(() => bucketPolicyDecision(old, { kind: 'anonymous', accountId: '1' }, 'oss:GetObject', 'acs:oss:*:1:b/k')).toThrow(
      expect.objectContaining({ status: 501, message: expect.stringMatching(/stored policy cannot be applied.*DeleteBucketPolicy/) }),
    );
  });
});
