import { Readable } from 'node:stream';
import FC, { InvokeFunctionHeaders, InvokeFunctionRequest } from '@alicloud/fc20230330';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';

/** The official FC 3.0 client as a user's script makes it against the local cloud: the defaults, only the endpoint and keys set. */
export function localFcClient(cloudUrl: string): FC {
  return new FC(new $OpenApiUtil.Config({ ...LOCAL_CREDENTIALS, regionId: 'cn-hangzhou', endpoint: new URL(cloudUrl).host, protocol: 'HTTP' }));
}

/**
 * InvokeFunction through that client with `event` as JSON: the answer's status, headers and body (`text` for short).
 * @example const { headers, text } = await invokeWithSdk(cloud.url, 'my-fn', { hello: 'event' });
 */
export async function invokeWithSdk(cloudUrl: string, name: string, event: unknown, options: { async?: boolean } = {}): Promise<{ status: number; headers: Record<string, string>; body: Buffer; text: string }> {
  const request = new InvokeFunctionRequest({ body: Readable.from([Buffer.from(JSON.stringify(event))]) });
  const headers = new InvokeFunctionHeaders(options.async ? { xFcInvocationType: 'Async' } : {});
  const response = await localFcClient(cloudUrl).invokeFunctionWithOptions(name, request, headers, new $dara.RuntimeOptions({}));
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as Readable) chunks.push(Buffer.from(chunk as Buffer));
  const body = Buffer.concat(chunks);
  return { status: response.statusCode ?? 0, headers: response.headers ?? {}, body, text: body.toString() };
}

/** Is process `pid` still running? (signal 0 only asks) */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
