/**
 * Signatures of HTTP pushes, as MNS signs them ("Verify HTTP push message signatures" in the MNS docs): every
 * push carries `Authorization: base64(RSA-SHA1(private key, StringToSign))` and `x-mns-signing-cert-url:
 * base64(<URL of an X.509 certificate>)`, with StringToSign built like a request's —
 *
 *   VERB "\n" Content-MD5 "\n" Content-Type "\n" Date "\n" CanonicalizedMNSHeaders CanonicalizedResource
 *
 * (the resource is the endpoint URL's path and query). An endpoint fetches the certificate and verifies with its
 * public key. MNS's certificate lives under `https://mnstest.oss-cn-hangzhou.aliyuncs.com/`; the local one is a
 * self-signed certificate of a key made for this data folder, served by the emulator (`PUSH_CERT_PATH`). So an
 * endpoint that checks the certificate's URL prefix, as the docs advise, refuses local pushes by that check alone.
 *
 * Node makes keys but not certificates, so the certificate's DER is written here (X.509 v1 fields only).
 */
import { createHash, createPrivateKey, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the emulator serves the certificate (its name as MNS's own). */
export const PUSH_CERT_PATH = '/x509_public_certificate.pem';

export interface PushSigningKey {
  key: KeyObject;
  /** The self-signed certificate, PEM. */
  certificatePem: string;
}

/** Headers a push carries besides the body's own, signed; `resource` is the path and query of the endpoint URL. */
export function signedPushHeaders(signer: PushSigningKey, certUrl: string, push: { resource: string; body: string; contentType: string; date: string; mnsHeaders: Record<string, string> }): Record<string, string> {
  const contentMd5 = Buffer.from(createHash('md5').update(push.body, 'utf8').digest('hex')).toString('base64');
  const mns: Record<string, string> = { ...push.mnsHeaders, 'x-mns-signing-cert-url': Buffer.from(certUrl).toString('base64'), 'x-mns-version': '2015-06-06' };
  const canonical = Object.keys(mns)
    .sort()
    .map((name) => `${name}:${mns[name]}\n`)
    .join('');
  const toSign = `POST\n${contentMd5}\n${push.contentType}\n${push.date}\n${canonical}${push.resource}`;
  const signature = sign('sha1', Buffer.from(toSign, 'utf8'), signer.key).toString('base64');
  return { ...mns, 'content-md5': contentMd5, 'content-type': push.contentType, date: push.date, authorization: signature };
}

/**
 * The data folder's push-signing key and certificate, made on first use (RSA 2048 off the main thread, ~0.1–1 s)
 * and kept in `mns-push-signing.pem`, so an endpoint that cached the certificate keeps verifying after a restart.
 */
export function pushSigningKeyOf(dataDir: string, now: () => number): () => Promise<PushSigningKey> {
  let made: Promise<PushSigningKey> | undefined;
  return () => (made ??= loadOrMake(join(dataDir, 'mns-push-signing.pem'), now));
}

async function loadOrMake(file: string, now: () => number): Promise<PushSigningKey> {
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const certificatePem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(text)?.[0];
    if (certificatePem) return { key: createPrivateKey(text), certificatePem };
  }
  const { privateKey, publicKey } = await new Promise<{ privateKey: KeyObject; publicKey: KeyObject }>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ privateKey, publicKey }))),
  );
  const certificatePem = selfSignedCertificate(privateKey, publicKey, now());
  writeFileSync(file, `${privateKey.export({ type: 'pkcs8', format: 'pem' }) as string}${certificatePem}`, { mode: 0o600 });
  return { key: privateKey, certificatePem };
}

// --- DER, only what one certificate needs ---
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const sequence = (...parts: Buffer[]) => tlv(0x30, ...parts);
function objectId(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const groups = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) groups.unshift((n % 128) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}
/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  const year = new Date(ms).getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

const SHA256_WITH_RSA = sequence(objectId('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
const YEAR_MS = 365 * 86_400_000;

function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, now: number): string {
  const name = sequence(tlv(0x31, sequence(objectId('2.5.4.3'), tlv(0x0c, Buffer.from('Local cloud MNS push signing')))));
  const serial = randomBytes(16);
  // A positive INTEGER in its shortest form: top bit clear, next bit set, so the first byte is never a 0x00 pad
  // (one start in 256 drew 0x00 before a byte below 0x80, and OpenSSL refused the certificate: "illegal padding").
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  const tbs = sequence(tlv(0x02, serial), SHA256_WITH_RSA, name, sequence(time(now - 86_400_000), time(now + 20 * YEAR_MS)), name, publicKey.export({ type: 'spki', format: 'der' }));
  const certificate = sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.from([0]), sign('sha256', tbs, privateKey)));
  const base64 = certificate.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
