import type { AuthUser } from '#shared/auth';
import type { DeviceCredentials, RegisterDeviceRequest } from '#shared/contracts/iot';
import { ALL_TABLES } from '#shared/contracts/tables';
import { SecretBox } from '#shared/iot/secret-box';
import { DEVICE_HEADERS, signDeviceRequest } from '#shared/iot/signature';
import { ManualClock } from '#shared/ports/clock';
import { AppError } from '#shared/errors';
import { registerDevice } from '../../functions/iot-devices/core';
import { createMemoryTable } from './memory-table';

/** Shared set-up of the IoT unit tests: one clock, one table with every schema, one sealing key. */
export const ADMIN: AuthUser = { username: 'admin', role: 'admin', displayName: 'Admin' };
export const TEST_SECRET_KEY = 'unit-test-iot-secret-key-0123456789abcdef';

export function iotWorld(start = Date.UTC(2026, 10, 25, 12, 0, 0)) {
  const clock = new ManualClock(start);
  const table = createMemoryTable(ALL_TABLES, clock);
  const secrets = new SecretBox(TEST_SECRET_KEY);
  let n = 0;
  const register = (request: RegisterDeviceRequest = { name: `device ${++n}`, type: 'env-sensor' }): Promise<DeviceCredentials> =>
    registerDevice(request, ADMIN, { table, clock, secrets });
  return { clock, table, secrets, register };
}

/** Headers and body of a device request signed like a real device would. */
export function signed(device: Pick<DeviceCredentials, 'deviceId' | 'secret'>, body: unknown, timestamp: number): { headers: Record<string, string>; body: Buffer } {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const ts = String(timestamp);
  return {
    headers: { [DEVICE_HEADERS.deviceId]: device.deviceId, [DEVICE_HEADERS.timestamp]: ts, [DEVICE_HEADERS.signature]: signDeviceRequest(device.secret, ts, bytes), 'content-type': 'application/json' },
    body: bytes,
  };
}

/** The AppError a call was refused with (fails the test if it succeeded or threw something else). */
export async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}
