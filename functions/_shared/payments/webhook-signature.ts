import { createHmac, timingSafeEqual } from 'node:crypto';
import { WEBHOOK_TOLERANCE_MS } from '../contracts/orders';
import { UnauthorizedError } from '../errors';

/**
 * Webhook signatures between the payment provider and `payment-callback`:
 * header `t=<epoch ms>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The timestamp is inside the signed
 * text, so it cannot be moved forward to make an old delivery look fresh.
 */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, `${timestamp}.${body}`)}`;
}

function hmac(secret: string, text: string): string {
  if (secret.length < 16) throw new Error('the webhook secret must be at least 16 characters');
  return createHmac('sha256', secret).update(text).digest('hex');
}

/**
 * Check a delivery: a well-formed header, a signature over these exact bytes, a timestamp within the
 * tolerance of `now`.
 * @throws UnauthorizedError (401) naming what is wrong, never which part of the signature differed.
 */
export function verifyWebhook(secret: string, rawBody: Buffer, header: string | undefined, now: number, toleranceMs = WEBHOOK_TOLERANCE_MS): { timestamp: number } {
  const parts = new Map((header ?? '').split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !v1 || !/^\d{1,16}$/.test(t) || !/^[0-9a-f]{64}$/.test(v1)) throw new UnauthorizedError('missing or malformed webhook signature');
  const expected = Buffer.from(hmac(secret, `${t}.${rawBody.toString('utf8')}`), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) throw new UnauthorizedError('webhook signature does not match');
  const timestamp = Number(t);
  if (Math.abs(now - timestamp) > toleranceMs) throw new UnauthorizedError('stale webhook: its timestamp is outside the tolerance');
  return { timestamp };
}
