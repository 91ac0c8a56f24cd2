/**
 * An OSS emulator of its own for a test file (temp data folder, movable clock, captured events and logs), and the
 * clients users point at OSS: ali-oss with its default options (signature V1) or with `authorizationV4: true`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OSS from 'ali-oss';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startOssEmulator, type OssEmulator, type OssEmulatorOptions, type OssLogger, type OssNotification } from '../../scripts/local/emulators/oss';

export const REGION = 'cn-hangzhou';

export interface TestOss {
  emulator: OssEmulator;
  dataDir: string;
  events: OssNotification[];
  aborts: Array<Parameters<OssLogger['aborted']>[0]>;
  internalErrors: unknown[];
  /** Moves the emulator's clock (added to the real time). */
  advance(ms: number): void;
  resetClock(): void;
  now(): number;
  /** Stops the emulator; keeps the data folder when `keepData` (to start another on it). */
  stop(keepData?: boolean): Promise<void>;
}

export async function startTestOss(options: Partial<OssEmulatorOptions> = {}): Promise<TestOss> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'oss-test-'));
  let offset = 0;
  const events: OssNotification[] = [];
  const aborts: TestOss['aborts'] = [];
  const internalErrors: unknown[] = [];
  const now = () => Date.now() + offset;
  const emulator = await startOssEmulator({
    dataDir,
    region: REGION,
    buckets: [],
    corsOrigins: [],
    clock: now,
    lifecycleIntervalMs: 0,
    onEvent: (n) => events.push(n),
    logger: { aborted: (info) => aborts.push(info), internalError: (err) => internalErrors.push(err) },
    ...options,
  });
  return {
    emulator,
    dataDir,
    events,
    aborts,
    internalErrors,
    advance: (ms) => {
      offset += ms;
    },
    resetClock: () => {
      offset = 0;
    },
    now,
    stop: async (keepData = false) => {
      await emulator.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ClientOptions {
  bucket?: string;
  /** `true`: signature V4; default: ali-oss's own default (V1). */
  v4?: boolean;
  credentials?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  headerEncoding?: 'utf-8' | 'latin1';
  /**
   * ali-oss's own default addressing, `<bucket>.localhost`: browsers and curl resolve it, Node only with the
   * local cloud's `resolveLocalhostNames()`. Default: path-style (`sldEnable`), what a script outside uses.
   */
  virtualHosted?: boolean;
}

/**
 * ali-oss as the tests drive it. @types/ali-oss 6.23 leaves out most bucket-configuration and tagging methods and
 * types response headers as `{}`, so the tests use the client untyped and assert on what comes back.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseOss = any;

/** An ali-oss client as a user would create one: default options plus the local endpoint (path-style unless asked). */
export function ossClient(emulator: OssEmulator, options: ClientOptions = {}): LooseOss {
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  return new OSS({
    region: `oss-${REGION}`,
    endpoint: emulator.endpoint,
    sldEnable: !options.virtualHosted,
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    ...(credentials.securityToken !== undefined
      ? {
          stsToken: credentials.securityToken,
          refreshSTSToken: async () => ({ accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret, stsToken: credentials.securityToken! }),
        }
      : {}),
    ...(options.bucket ? { bucket: options.bucket } : {}),
    ...(options.v4 ? { authorizationV4: true } : {}),
    ...(options.headerEncoding ? { headerEncoding: options.headerEncoding } : {}),
  } as OSS.Options);
}

/** A bucket name no other test uses. */
export function uniqueBucket(prefix = 't'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

/** The `<Code>` of an OSS XML error body. */
export function errorCode(text: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
}

/** A request exactly as given (no URL normalisation, any headers), for what fetch would not send. */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: Buffer | string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { Host: `localhost:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: all.toString(), body: all });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
