/**
 * The FC 3.0 Node.js event-handler contract (built-in runtime nodejs20):
 * `handler(event: Buffer, context)`; see reference/fc-runtime-and-sdks.md §1.
 */
export interface FcCredentials {
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
}

export interface FcLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface FcContext {
  requestId: string;
  /** STS credentials of the function's role; `{}` when the function has no role. */
  credentials: FcCredentials;
  function: { name: string; handler: string; memory: number; timeout: number };
  service?: { logProject?: string; logStore?: string; qualifier?: string; versionId?: string };
  region: string;
  accountId: string;
  logger: FcLogger;
  /** Undocumented but present on FC3: how many times an async invocation was retried. */
  retryCount?: number;
}

export type FcHandler = (event: Buffer, context: FcContext) => Promise<unknown>;

/** FC 3.0 HTTP trigger event (built-in runtimes), `version: v1`. */
export interface HttpTriggerEvent {
  version: 'v1';
  rawPath: string;
  body: string;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
  queryParameters: Record<string, string>;
  requestContext: {
    accountId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    time: string;
    timeEpoch: string;
  };
}

/** What an HTTP-triggered function returns. */
export interface HttpTriggerResponse {
  statusCode: number;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  body?: string;
}
