import type * as nodeCrypto from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import { tempDir } from '../helpers/temp';

/**
 * The push-signing certificate's serial is 16 random bytes. One start in 256 drew a first byte that, made positive,
 * was 0x00 before a byte below 0x80: a padded INTEGER, which OpenSSL refuses ("illegal padding") — a flaky
 * mns-push-signing test in a full run, and a certificate no client could read. The random bytes are chosen here.
 */
const mockSerial: { next?: Buffer } = {};
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof nodeCrypto>('node:crypto');
  return {
    ...actual,
    randomBytes: (size: number) => {
      const forced = mockSerial.next;
      if (forced && forced.length === size) {
        mockSerial.next = undefined;
        return Buffer.from(forced);
      }
      return actual.randomBytes(size);
    },
  };
});

import { pushSigningKeyOf } from '../../scripts/local/emulators/mns/push-signing';

describe('the push-signing certificate serial', () => {
  it.each([
    ['0x00 0x01 (made positive: a leading zero byte)', [0x00, 0x01]],
    ['0x80 0x05 (made positive: 0x00 0x05)', [0x80, 0x05]],
    ['0xff 0xff', [0xff, 0xff]],
    ['0x00 0x00', [0x00, 0x00]],
  ])('makes a certificate X.509 parsers read whatever the random bytes: %s', async (_name, head) => {
    const dir = tempDir('mns-push-serial-');
    try {
      mockSerial.next = Buffer.concat([Buffer.from(head), Buffer.alloc(14, 0x11)]);
      const key = await pushSigningKeyOf(dir.path, () => Date.UTC(2026, 10, 29))();
      expect(mockSerial.next).toBeUndefined(); // the serial came from the bytes chosen above
      const cert = new X509Certificate(key.certificatePem);
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(cert.serialNumber).toMatch(/^[0-9A-F]+$/);
      expect(cert.serialNumber.length).toBeGreaterThanOrEqual(30);
    } finally {
      dir.cleanup();
    }
  });
});
