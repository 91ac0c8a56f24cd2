import MNS from '@alicloud/mns';
import type { FcContext } from '../fc/types';
import { credentialsFrom, type Credentials } from './credentials';

/**
 * What the MNS adapters share: the `@alicloud/mns` client built from STS credentials, the wire encoding of
 * message bodies, and the translation of the SDK's errors into one typed error.
 *
 * The SDK inserts values into its XML without escaping (reference §5), so message bodies travel base64-encoded
 * — as MNS itself asks — and every other text value is XML-escaped here before the SDK sees it.
 */
export interface MnsClientOptions {
  credentials: Credentials;
  region: string;
  accountId: string;
  /** `http://127.0.0.1:9003` locally (`MNS_ENDPOINT`); default `https://<account>.mns.<region>.aliyuncs.com`. */
  endpoint?: string;
}

export function createMnsClient(options: MnsClientOptions): MNS {
  const { credentials } = options;
  return new MNS(options.accountId || 'local', {
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : { region: options.region, secure: true }),
  });
}

/**
 * The client a function uses: its role's STS credentials, the account and region FC passes in the context,
 * and `MNS_ENDPOINT` when set (the local cloud points it at its MNS emulator).
 */
export function mnsClientFor(context: Pick<FcContext, 'region' | 'accountId'>, env: NodeJS.ProcessEnv, credentials: Credentials): MNS {
  return createMnsClient({
    credentials,
    region: context.region || env.FC_REGION || 'cn-hangzhou',
    accountId: context.accountId || env.FC_ACCOUNT_ID || '',
    ...(env.MNS_ENDPOINT ? { endpoint: env.MNS_ENDPOINT } : {}),
  });
}

/**
 * Production wiring for one MNS capability: `(context, env?) => adapter`, building the adapter once per STS
 * credential (FC reuses instances across invocations, and a rotated key builds a new client).
 */
export function perCredential<T>(build: (client: MNS) => T): (context: FcContext, env?: NodeJS.ProcessEnv) => T {
  let current: { key: string; adapter: T } | undefined;
  return (context, env = process.env) => {
    const credentials = credentialsFrom(context, env);
    const key = `${credentials.accessKeyId}\n${credentials.securityToken ?? ''}`;
    if (current?.key !== key) current = { key, adapter: build(mnsClientFor(context, env, credentials)) };
    return current.adapter;
  };
}

/**
 * An MNS error answer (or the failure to get one), with MNS's code: `QueueNotExist`, `MessageNotExist`,
 * `ReceiptHandleError`, `InvalidArgument`, `SignatureDoesNotMatch`, … `status` is the HTTP status when MNS
 * answered, undefined for network failures.
 */
export class MnsRequestError extends Error {
  readonly code: string;
  readonly status: number | undefined;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'MnsRequestError';
    this.code = code;
    this.status = status;
  }
}

/** The SDK names errors `MNS<Code>Error` and puts the status in the message ("… failed with 404. …"). */
export function toMnsError(err: unknown): Error {
  if (!(err instanceof Error)) return new MnsRequestError('Unknown', String(err));
  const code = /^MNS(\w+)Error$/.exec(err.name)?.[1];
  if (!code) return err;
  const status = /failed with (\d{3})/.exec(err.message)?.[1];
  const message = /message: ([\s\S]*)$/.exec(err.message)?.[1] ?? err.message;
  return new MnsRequestError(code, `${code}: ${message}`, status ? Number(status) : undefined);
}

export async function mnsCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toMnsError(err);
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes a value for the SDK's unescaped XML. */
export const xmlText = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

export { decodeBody, encodeBody } from '../contracts/mns-events';
