import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower-case

/**
 * Time-ordered unique ids (ULID layout: 48-bit ms time + 80 random bits, base32),
 * so rows keyed by id sort by creation time in TableStore's PK order.
 * @example newId('img') // 'img_01jd3k9x4m8r0v6t2c7b5n1q3w'
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[random[i]! % 32];
  return `${prefix}_${time}${rand}`;
}

export type IdGenerator = (prefix: string) => string;

/**
 * A deterministic id that still sorts by `time`: the same (time, discriminator) always gives the same id,
 * so re-running a loader does not duplicate rows.
 */
export function orderedId(prefix: string, time: number, discriminator: string): string {
  let encoded = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    encoded = ALPHABET[t % 32] + encoded;
    t = Math.floor(t / 32);
  }
  let hash = 2166136261;
  for (const ch of discriminator) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `${prefix}_${encoded}${hash.toString(32).padStart(7, '0')}`;
}
