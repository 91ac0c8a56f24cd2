import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Device request signing (PRODUCT.md §3 IoT): `x-signature = hex(HMAC-SHA256(secret, timestamp + "." + body))`,
 * where `timestamp` is the `x-timestamp` header (Unix epoch milliseconds as a decimal string) and `body` the
 * exact request bytes. Shared by `iot-ingest` (verifies) and the device simulator (signs), so both follow
 * the one definition.
 */
export const DEVICE_HEADERS = { deviceId: 'x-device-id', timestamp: 'x-timestamp', signature: 'x-signature' } as const;

/** A request is refused when its timestamp is further than this from the server clock (either way). */
export const MAX_SIGNATURE_SKEW_MS = 5 * 60_000;

/**
 * @example
 * const timestamp = String(Date.now());
 * const body = JSON.stringify({ readings });
 * fetch(url, { method: 'POST', body, headers: { 'x-device-id': id, 'x-timestamp': timestamp, 'x-signature': signDeviceRequest(secret, timestamp, body) } });
 */
export function signDeviceRequest(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** Constant-time comparison of a presented signature (any case of hex) with the expected one. */
export function signatureMatches(secret: string, timestamp: string, body: Buffer | string, presented: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(presented)) return false;
  const expected = Buffer.from(signDeviceRequest(secret, timestamp, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(presented, 'hex'));
}
