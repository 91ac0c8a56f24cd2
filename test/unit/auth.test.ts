import { authenticate, hashPassword, issueToken, requireRole, verifyPassword } from '#shared/auth';
import { ManualClock } from '#shared/ports/clock';
import { LoginThrottle } from '../../functions/auth-token/core';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

describe('JWT auth', () => {
  it('issues a token the shared verifier accepts, with role and expiry', async () => {
    const now = Date.UTC(2026, 10, 25);
    const { token, expiresAt } = await issueToken({ username: 'alice', role: 'admin', displayName: 'Alice' }, SECRET, now);
    expect(expiresAt).toBe(new Date(now + 3600_000).toISOString());
    const user = await authenticate({ authorization: `Bearer ${token}` }, SECRET, now + 1000);
    expect(user).toEqual({ username: 'alice', role: 'admin', displayName: 'Alice' });
    expect(() => requireRole(user, 'admin')).not.toThrow();
  });

  it('rejects missing, forged and expired tokens with 401', async () => {
    const now = Date.UTC(2026, 10, 25);
    const { token } = await issueToken({ username: 'bob', role: 'user', displayName: 'Bob' }, SECRET, now);
    await expect(authenticate({}, SECRET, now)).rejects.toMatchObject({ status: 401 });
    await expect(authenticate({ authorization: `Bearer ${token}` }, `${SECRET}-other`, now)).rejects.toMatchObject({ status: 401, message: 'invalid token' });
    await expect(authenticate({ authorization: `Bearer ${token}` }, SECRET, now + 3601_000)).rejects.toMatchObject({ status: 401, message: 'token expired' });
  });

  it('forbids admin routes to users', async () => {
    expect(() => requireRole({ username: 'bob', role: 'user', displayName: 'Bob' }, 'admin')).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('hashes passwords with scrypt and verifies them', async () => {
    const stored = await hashPassword('alice-demo');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    await expect(verifyPassword('alice-demo', stored)).resolves.toBe(true);
    await expect(verifyPassword('alice-demo!', stored)).resolves.toBe(false);
  });

  it('throttles repeated failed sign-ins per user, then lets them in after the window', () => {
    const clock = new ManualClock();
    const throttle = new LoginThrottle(3, 60_000);
    for (let i = 0; i < 3; i++) {
      throttle.check('alice', clock.now());
      throttle.fail('alice', clock.now());
    }
    expect(() => throttle.check('alice', clock.now())).toThrow(expect.objectContaining({ status: 429 }));
    expect(() => throttle.check('bob', clock.now())).not.toThrow();
    clock.advance(60_001);
    expect(() => throttle.check('alice', clock.now())).not.toThrow();
  });

  it('says how many seconds are left until a throttled user may try again', () => {
    const clock = new ManualClock();
    const throttle = new LoginThrottle(3, 60_000);
    for (const gap of [0, 10_000, 10_000, 10_000]) {
      clock.advance(gap);
      throttle.fail('alice', clock.now());
    }
    // Four failures at 0, 10, 20 and 30 s: the one at 10 s is the one whose expiry brings alice under the limit.
    clock.advance(5_500);
    expect(() => throttle.check('alice', clock.now())).toThrow(expect.objectContaining({ status: 429, retryAfterSeconds: 35 }));
  });
});
