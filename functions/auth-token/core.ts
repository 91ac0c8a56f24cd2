import { hashPassword, issueToken, verifyPassword, type AuthUser, type Role } from '#shared/auth';
import type { TokenRequest, TokenResponse } from '#shared/contracts/auth';
import { TABLES } from '#shared/contracts/tables';
import { TooManyRequestsError, UnauthorizedError } from '#shared/errors';
import type { Clock } from '#shared/ports/clock';
import type { Table } from '#shared/ports/table';

/** auth-token: POST /api/auth/token — checks a user's password and issues a JWT. Owns `users`. */
export interface AuthDeps {
  table: Table;
  clock: Clock;
  jwtSecret: string;
  throttle: LoginThrottle;
}

/**
 * Failed logins per username within a window; beyond the limit the route answers 429 until the window
 * passes. Per instance (FC may run several), which bounds guessing without a shared store.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly limit = 5,
    private readonly windowMs = 5 * 60_000,
  ) {}
  check(key: string, now: number): void {
    const recent = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    this.failures.set(key, recent);
    if (recent.length >= this.limit) {
      // The user is let in again once enough failures have left the window to be under the limit.
      const freedAt = recent[recent.length - this.limit]! + this.windowMs;
      throw new TooManyRequestsError('too many failed sign-ins; try again in a few minutes', (freedAt - now) / 1000);
    }
  }
  fail(key: string, now: number): void {
    this.failures.set(key, [...(this.failures.get(key) ?? []), now]);
  }
  succeed(key: string): void {
    this.failures.delete(key);
  }
}

const T = TABLES.users.name;

export async function signIn(request: TokenRequest, deps: AuthDeps): Promise<TokenResponse> {
  const now = deps.clock.now();
  const key = request.username.toLowerCase();
  deps.throttle.check(key, now);
  const row = await deps.table.getRow(T, { username: key });
  // Same error for unknown users and wrong passwords: do not reveal which usernames exist.
  const ok = row ? await verifyPassword(request.password, String(row.attributes.passwordHash)) : false;
  if (!row || !ok) {
    deps.throttle.fail(key, now);
    throw new UnauthorizedError('wrong username or password');
  }
  deps.throttle.succeed(key);
  const user: AuthUser = { username: key, role: row.attributes.role === 'admin' ? 'admin' : 'user', displayName: String(row.attributes.displayName ?? key) };
  return issueToken(user, deps.jwtSecret, now);
}

/** Create a user unless it exists (seeding is idempotent). Returns whether it was created. */
export async function ensureUser(user: { username: string; password: string; role: Role; displayName: string }, deps: Pick<AuthDeps, 'table'>): Promise<boolean> {
  const existing = await deps.table.getRow(T, { username: user.username });
  if (existing) return false;
  await deps.table.putRow(
    T,
    { username: user.username },
    { passwordHash: await hashPassword(user.password), role: user.role, displayName: user.displayName },
    { condition: { row: 'EXPECT_NOT_EXIST' } },
  );
  return true;
}
