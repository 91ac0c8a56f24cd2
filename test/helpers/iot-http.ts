import type { AlertView, DeviceCredentials, DeviceView, IngestBody, SeriesResponse } from '#shared/contracts/iot';
import { DEVICE_HEADERS, signDeviceRequest } from '#shared/iot/signature';

/**
 * The IoT API over HTTP, as devices, the dashboard and scripts call it: for integration, e2e and bench code
 * that talks to a running local cloud.
 */
export class IotClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  static async signIn(url: string, username = 'admin', password = `${username}-demo`): Promise<IotClient> {
    const res = await fetch(`${url}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status !== 200) throw new Error(`sign-in as ${username} answered ${res.status}: ${await res.text()}`);
    return new IotClient(url, ((await res.json()) as { token: string }).token);
  }

  async register(name: string, type: DeviceCredentials['type'] = 'env-sensor'): Promise<DeviceCredentials> {
    return this.json<DeviceCredentials>('POST', '/api/iot/devices', { name, type }, 201);
  }

  async device(deviceId: string): Promise<DeviceView> {
    return this.json<DeviceView>('GET', `/api/iot/devices/${deviceId}/latest`);
  }

  async series(deviceId: string, query: Record<string, string | number>): Promise<SeriesResponse> {
    const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    return this.json<SeriesResponse>('GET', `/api/iot/devices/${deviceId}/series?${q}`);
  }

  async alerts(query: Record<string, string | number> = {}): Promise<AlertView[]> {
    const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    return (await this.json<{ items: AlertView[] }>('GET', `/api/iot/alerts?${q}`)).items;
  }

  async json<T>(method: string, path: string, body?: unknown, expected = 200): Promise<T> {
    const send = () =>
      fetch(`${this.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    // A kept-alive connection the server closed while idle fails once with ECONNRESET: try a fresh one.
    const res = await send().catch((err: unknown) => ((err as { cause?: { code?: string } }).cause?.code === 'ECONNRESET' ? send() : Promise.reject(err)));
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${method} ${path} answered ${res.status} (wanted ${expected}): ${text}`);
    return JSON.parse(text) as T;
  }
}

/** Posts `body` (an object, or raw text) to `POST /api/iot/events` signed with `device`'s secret. */
export async function postReadings(
  url: string,
  device: Pick<DeviceCredentials, 'deviceId' | 'secret'>,
  body: IngestBody | string,
  options: { timestamp?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = String(options.timestamp ?? Date.now());
  const res = await fetch(`${url}/api/iot/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [DEVICE_HEADERS.deviceId]: device.deviceId,
      [DEVICE_HEADERS.timestamp]: timestamp,
      [DEVICE_HEADERS.signature]: signDeviceRequest(device.secret, timestamp, text),
      ...options.headers,
    },
    body: text,
  });
  const answer = await res.text();
  return { status: res.status, body: answer ? (JSON.parse(answer) as Record<string, unknown>) : {} };
}
