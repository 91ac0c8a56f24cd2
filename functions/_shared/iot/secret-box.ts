import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Sealing of device secrets at rest (docs/decisions.md D33).
 *
 * A device proves itself with HMAC-SHA256 keyed by its secret, so the ingest must be able to compute that
 * HMAC: a one-way hash of the secret (as for passwords) cannot verify it. The secret is therefore stored
 * *sealed*: AES-256-GCM under a key derived (HKDF-SHA256) from `IOT_SECRET_KEY`, which lives in the function
 * environment, never in the table. The device id is the GCM associated data, so a sealed secret copied onto
 * another device's row does not open. A leaked `devices` table alone reveals no secret.
 *
 * Format: `v1.<iv>.<tag>.<ciphertext>` (base64url parts); the version names the scheme for later rotation.
 */
const VERSION = 'v1';
const INFO = 'fc-event-suite iot device secret v1';

export class SecretBox {
  private readonly key: Buffer;

  /** @param keyMaterial at least 32 characters of secret text (`IOT_SECRET_KEY`). */
  constructor(keyMaterial: string) {
    if (keyMaterial.length < 32) throw new Error('IOT_SECRET_KEY must be at least 32 characters');
    this.key = Buffer.from(hkdfSync('sha256', keyMaterial, Buffer.alloc(0), INFO, 32));
  }

  seal(secret: string, deviceId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(deviceId));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** @throws Error when the value was not sealed for this device with this key. */
  open(sealed: string, deviceId: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed device secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(deviceId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** A new device secret: 32 random bytes, base64url (43 characters). */
export function newDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}
