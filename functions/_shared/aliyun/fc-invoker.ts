import FC, { InvokeFunctionHeaders, InvokeFunctionRequest } from '@alicloud/fc20230330';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { RuntimeOptions } from '@darabonba/typescript';
import { Readable } from 'node:stream';
import type { FunctionInvoker, InvokeOptions, InvokeResult } from '../ports/function-invoker';
import type { Credentials } from './credentials';
import { withDeadline } from '../deadline';

/**
 * FunctionInvoker over FC 3.0's InvokeFunction API (`@alicloud/fc20230330`, signature ACS3-HMAC-SHA256).
 * In the cloud the endpoint is the account's internal FC endpoint; locally `FC_ENDPOINT` points at the
 * local cloud's FC API, which verifies the same signature.
 */
export interface FcInvokerOptions {
  credentials: Credentials;
  region: string;
  accountId: string;
  /** `http://127.0.0.1:9000` or a host; default `<account>.<region>-internal.fc.aliyuncs.com` over HTTPS. */
  endpoint?: string;
}

export class FcFunctionInvoker implements FunctionInvoker {
  private readonly client: FC;

  constructor(options: FcInvokerOptions) {
    const endpoint = options.endpoint ? new URL(options.endpoint.includes('://') ? options.endpoint : `https://${options.endpoint}`) : undefined;
    this.client = new FC(
      new $OpenApiUtil.Config({
        accessKeyId: options.credentials.accessKeyId,
        accessKeySecret: options.credentials.accessKeySecret,
        securityToken: options.credentials.securityToken,
        regionId: options.region,
        endpoint: endpoint ? endpoint.host : `${options.accountId}.${options.region}-internal.fc.aliyuncs.com`,
        protocol: endpoint ? endpoint.protocol.replace(':', '').toUpperCase() : 'HTTPS',
        // The SDK's own retries would hide latency from the caller's budget; callers decide.
        autoretry: false,
      }),
    );
  }

  async invoke(functionName: string, payload: Buffer | string | object, options: InvokeOptions = {}): Promise<InvokeResult> {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const call = this.client.invokeFunctionWithOptions(
      functionName,
      new InvokeFunctionRequest({ body: Readable.from([bytes]) }),
      new InvokeFunctionHeaders({ xFcInvocationType: options.invocationType ?? 'Sync' }),
      // httpx hands `connectTimeout` to http.request as the socket's idle timeout, so it also bounds the wait
      // for the answer: it must cover the call's whole budget, or a slow (cold, queued) function fails at 5 s.
      // The budget itself is `withDeadline`'s to judge (fairly: #shared/deadline); the SDK's own timers are a
      // backstop a little past it, so they never discard an answer the deadline would have accepted.
      new RuntimeOptions({ readTimeout: sdkTimeoutMs(options.timeoutMs), connectTimeout: sdkTimeoutMs(options.timeoutMs), autoretry: false }),
    );
    // The SDK's readTimeout covers the socket; this bounds the whole call, connection set-up included.
    const response = await withDeadline(call, options.timeoutMs, () => new InvokeTimeoutError(functionName, options.timeoutMs!), options.signal);
    const headers = response.headers ?? {};
    const body = response.body ? await readAll(response.body) : Buffer.alloc(0);
    const errorType = headers['x-fc-error-type'];
    return {
      status: response.statusCode ?? 0,
      body,
      requestId: headers['x-fc-request-id'] ?? '',
      ...(errorType ? { functionError: { type: errorType, message: errorMessageOf(body) } } : {}),
    };
  }
}

function errorMessageOf(body: Buffer): string {
  try {
    return String((JSON.parse(body.toString('utf8')) as { errorMessage?: string }).errorMessage ?? '');
  } catch {
    return body.toString('utf8').slice(0, 500);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** The SDK's socket timers: the caller's budget plus a second of grace (60 s without a budget). */
function sdkTimeoutMs(budgetMs: number | undefined): number {
  return budgetMs === undefined ? 60000 : budgetMs + 1000;
}

export class InvokeTimeoutError extends Error {
  constructor(functionName: string, ms: number) {
    super(`invoking ${functionName} took longer than ${ms} ms`);
    this.name = 'InvokeTimeoutError';
  }
}
