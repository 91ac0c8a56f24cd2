import { scrypt as scryptCb, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { ForbiddenError, UnauthorizedError } from './errors';

/**
 * Authentication shared by every route that needs a user: HS256 JWTs (1 h) issued by `auth-token`,
 * verified here. Passwords are stored as scrypt hashes.
 */
export type Role = 'user' | 'admin';

export interface AuthUser {
  username: string;
  role: Role;
  displayName: string;
}

export const TOKEN_TTL_SECONDS = 3600;
const ISSUER = 'fc-event-suite';
const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1 };

function keyOf(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error('JWT_SECRET must be at least 32 characters');
  return new TextEncoder().encode(secret);
}

export async function issueToken(user: AuthUser, secret: string, now: number = Date.now()): Promise<{ token: string; expiresAt: string }> {
  const iat = Math.floor(now / 1000);
  const token = await new SignJWT({ role: user.role, name: user.displayName })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.username)
    .setIssuer(ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + TOKEN_TTL_SECONDS)
    .sign(keyOf(secret));
  return { token, expiresAt: new Date((iat + TOKEN_TTL_SECONDS) * 1000).toISOString() };
}

/**
 * The user of a request: `Authorization: Bearer <jwt>`, verified (signature, issuer, expiry).
 * @throws UnauthorizedError (401) when missing, malformed, expired or forged.
 */
export async function authenticate(headers: Record<string, string | undefined>, secret: string, now: number = Date.now()): Promise<AuthUser> {
  const match = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (!match) throw new UnauthorizedError('send Authorization: Bearer <token> (POST /api/auth/token issues one)');
  try {
    const { payload } = await jwtVerify(match[1]!, keyOf(secret), { issuer: ISSUER, algorithms: ['HS256'], currentDate: new Date(now) });
    const role = payload.role === 'admin' ? 'admin' : 'user';
    return { username: String(payload.sub), role, displayName: String(payload.name ?? payload.sub) };
  } catch (err) {
    throw new UnauthorizedError(err instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token');
  }
}

export function requireRole(user: AuthUser, role: Role): void {
  if (role === 'admin' && user.role !== 'admin') throw new ForbiddenError('this needs the admin role');
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(N), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}
