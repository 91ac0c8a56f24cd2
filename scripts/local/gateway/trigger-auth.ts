import type { IncomingMessage } from 'node:http';
import { secretFor, securityTokenProblem } from '../credentials';
import { verifyAcs3 } from '../emulators/fc/acs3-signature';

/**
 * An HTTP trigger with `authType: function` (D145): FC's gateway verifies the request's ACS3-HMAC-SHA256 signature
 * (the Alibaba Cloud SDK signature; FC's docs sign with `@alicloud/openapi-util`'s `getAuthorization`) before the
 * function runs, and answers 403 otherwise. Locally the keys are the local account's, whose STS token must come in
 * `x-acs-security-token`, as with the FC API. The signed path is the one on the wire (`/_fc/<function>/…` or the
 * custom-domain route), the payload hash the body's (`x-acs-content-sha256`, when sent, must match it).
 * What is wrong, or `undefined` when the request may run.
 */
export function triggerSignatureProblem(req: IncomingMessage, url: URL, body: Buffer): { code: string; message: string } | undefined {
  const rawPath = (req.url ?? '/').split('?')[0]!;
  const headers = req.headers as Record<string, string | string[] | undefined>;
  const verified = verifyAcs3({ method: req.method ?? 'GET', rawPath, query: url.searchParams, headers, body }, secretFor, Date.now(), { requireHostSigned: false, requirePayloadHashHeader: false });
  if (!verified.ok) return { code: verified.code, message: `${verified.message} (the HTTP trigger's authType is function: sign the request with ACS3-HMAC-SHA256)` };
  const token = securityTokenProblem(verified.accessKeyId, String(headers['x-acs-security-token'] ?? '') || undefined);
  return token ? { code: token.code, message: token.message } : undefined;
}
