import { createHash, verify, X509Certificate } from 'node:crypto';
import { pushSigningKeyOf, signedPushHeaders } from '../../scripts/local/emulators/mns/push-signing';
import { tempDir } from '../helpers/temp';

/** D136: the local MNS signs HTTP pushes with a key and self-signed certificate of its data folder. */
describe('MNS push signing', () => {
  const dir = tempDir('mns-push-signing-');
  afterAll(() => dir.cleanup());

  it('makes a certificate X.509 parsers read, signed by its own key, and keeps it across a restart', async () => {
    const now = Date.UTC(2026, 10, 28);
    const first = await pushSigningKeyOf(dir.path, () => now)();
    const cert = new X509Certificate(first.certificatePem);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subject).toContain('MNS push signing');
    expect(Date.parse(cert.validFrom)).toBeLessThan(now);
    expect(Date.parse(cert.validTo)).toBeGreaterThan(Date.UTC(2046, 0, 1));
    const again = await pushSigningKeyOf(dir.path, () => now + 1000)();
    expect(again.certificatePem).toBe(first.certificatePem);
    // Ending after 2049, the validity is a GeneralizedTime (RFC 5280), which parsers read as well.
    const later = tempDir('mns-push-signing-later-');
    try {
      const late = new X509Certificate((await pushSigningKeyOf(later.path, () => Date.UTC(2040, 0, 1))()).certificatePem);
      expect(Date.parse(late.validTo)).toBeGreaterThan(Date.UTC(2059, 0, 1));
    } finally {
      later.cleanup();
    }
  });

  it("signs the documented string: verb, MD5 of the body's hex digest, type, date, x-mns headers, resource", async () => {
    const signer = await pushSigningKeyOf(dir.path, Date.now)();
    const date = 'Wed, 25 May 2016 10:46:14 GMT';
    const headers = signedPushHeaders(signer, 'http://127.0.0.1:1/x509_public_certificate.pem', { resource: '/notifications?a=1', body: 'hello', contentType: 'text/xml;charset=utf-8', date, mnsHeaders: { 'x-mns-request-id': 'R1' } });
    const md5 = Buffer.from(createHash('md5').update('hello').digest('hex')).toString('base64');
    expect(headers).toMatchObject({ 'content-md5': md5, 'x-mns-version': '2015-06-06', 'x-mns-signing-cert-url': Buffer.from('http://127.0.0.1:1/x509_public_certificate.pem').toString('base64') });
    const toSign = `POST\n${md5}\ntext/xml;charset=utf-8\n${date}\nx-mns-request-id:R1\nx-mns-signing-cert-url:${headers['x-mns-signing-cert-url']}\nx-mns-version:2015-06-06\n/notifications?a=1`;
    const publicKey = new X509Certificate(signer.certificatePem).publicKey;
    expect(verify('sha1', Buffer.from(toSign), publicKey, Buffer.from(headers.authorization!, 'base64'))).toBe(true);
    expect(verify('sha1', Buffer.from(toSign.replace('hello', 'x').replace('R1', 'R2')), publicKey, Buffer.from(headers.authorization!, 'base64'))).toBe(false);
  });
});
