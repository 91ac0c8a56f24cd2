import type { AuthUser } from '#shared/auth';
import { ONLINE_WINDOW_MS, type DeviceCredentials, type DeviceListResponse, type DeviceRow, type DeviceView, type LatestRow, type RegisterDeviceRequest } from '#shared/contracts/iot';
import { ConditionFailedError, NotFoundError } from '#shared/errors';
import { newId, type IdGenerator } from '#shared/ids';
import { DEVICE_TYPES, metricSpec } from '#shared/iot/catalog';
import { getDevice, listDevices, listLatest, T } from '#shared/iot/rows';
import { newDeviceSecret, type SecretBox } from '#shared/iot/secret-box';
import type { Clock } from '#shared/ports/clock';
import type { Table } from '#shared/ports/table';

/**
 * iot-devices, the registry: admins register devices and rotate their secrets; everyone signed in lists
 * devices with their status and latest values. A secret is shown in exactly two answers (registration and
 * rotation) and stored sealed (docs/decisions.md D33).
 */
export interface DevicesDeps {
  table: Table;
  clock: Clock;
  secrets: SecretBox;
  newId?: IdGenerator;
}

export async function registerDevice(request: RegisterDeviceRequest, admin: AuthUser, deps: DevicesDeps): Promise<DeviceCredentials> {
  const now = deps.clock.now();
  const deviceId = (deps.newId ?? newId)('dev');
  const secret = newDeviceSecret();
  const row: Omit<DeviceRow, 'deviceId'> = {
    name: request.name,
    type: request.type,
    secretSealed: deps.secrets.seal(secret, deviceId),
    createdAt: now,
    createdBy: admin.username,
    secretIssuedAt: now,
  };
  await deps.table.putRow(T.devices, { deviceId }, { ...row }, { condition: { row: 'EXPECT_NOT_EXIST' } });
  return { deviceId, name: request.name, type: request.type, secret, createdAt: new Date(now).toISOString() };
}

/** A new secret for a device whose secret was lost or leaked; the old one stops working (D33). */
export async function rotateSecret(deviceId: string, deps: DevicesDeps): Promise<DeviceCredentials> {
  const device = await getDevice(deps.table, deviceId);
  if (!device) throw new NotFoundError(`device ${deviceId} not found`);
  const now = deps.clock.now();
  const secret = newDeviceSecret();
  try {
    await deps.table.updateRow(T.devices, { deviceId }, { put: { secretSealed: deps.secrets.seal(secret, deviceId), secretIssuedAt: now } }, { condition: { row: 'EXPECT_EXIST' } });
  } catch (err) {
    if (err instanceof ConditionFailedError) throw new NotFoundError(`device ${deviceId} not found`);
    throw err;
  }
  return { deviceId, name: device.name, type: device.type, secret, createdAt: new Date(device.createdAt).toISOString() };
}

export function toDeviceView(device: DeviceRow, latest: LatestRow[], now: number): DeviceView {
  const values: DeviceView['latest'] = {};
  let lastSeen = 0;
  for (const row of latest) {
    const spec = metricSpec(device.type, row.metric);
    if (!spec) continue;
    values[row.metric] = { ts: row.ts, value: row.value, unit: spec.unit };
    lastSeen = Math.max(lastSeen, row.ts);
  }
  // Metrics in catalogue order, so every client lists them alike.
  const ordered: DeviceView['latest'] = {};
  for (const metric of Object.keys(DEVICE_TYPES[device.type].metrics)) if (values[metric]) ordered[metric] = values[metric];
  return {
    deviceId: device.deviceId,
    name: device.name,
    type: device.type,
    createdAt: new Date(device.createdAt).toISOString(),
    status: lastSeen === 0 ? 'never' : lastSeen >= now - ONLINE_WINDOW_MS ? 'online' : 'offline',
    ...(lastSeen ? { lastSeenAt: new Date(lastSeen).toISOString() } : {}),
    latest: ordered,
  };
}

/** Every device with its status and latest values (two range reads, whatever the fleet size), by name. */
export async function listDeviceViews(deps: Pick<DevicesDeps, 'table' | 'clock'>): Promise<DeviceListResponse> {
  const [devices, latest] = await Promise.all([listDevices(deps.table), listLatest(deps.table)]);
  const byDevice = new Map<string, LatestRow[]>();
  for (const row of latest) byDevice.set(row.deviceId, [...(byDevice.get(row.deviceId) ?? []), row]);
  const now = deps.clock.now();
  const items = devices.map((d) => toDeviceView(d, byDevice.get(d.deviceId) ?? [], now));
  items.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }) || a.deviceId.localeCompare(b.deviceId));
  return { items };
}

export async function getDeviceView(deviceId: string, deps: Pick<DevicesDeps, 'table' | 'clock'>): Promise<DeviceView> {
  const [device, latest] = await Promise.all([getDevice(deps.table, deviceId), listLatest(deps.table, deviceId)]);
  if (!device) throw new NotFoundError(`device ${deviceId} not found`);
  return toDeviceView(device, latest, deps.clock.now());
}
