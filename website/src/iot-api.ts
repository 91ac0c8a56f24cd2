import { api } from './api';

import type {
  AlertListResponse,
  AlertView,
  DeviceCredentials,
  DeviceListResponse,
  DeviceView,
  ReportListResponse,
  ReportView,
  SeriesResponse,
} from '../../functions/_shared/contracts/iot';

/**
 * The IoT API as the dashboard uses it (PRODUCT.md §3 IoT). Types come from the shared contracts (type-only
 * imports: no zod in the browser); device types, metrics and units from the shared catalogue.
 */
export type { AlertView, DeviceCredentials, DeviceView, ReportView, SeriesResponse };
export { DEVICE_NAME_MAX, DEVICE_TYPES, type DeviceType, type MetricSpec } from '../../functions/_shared/iot/catalog';

export async function listDevices(signal?: AbortSignal): Promise<DeviceView[]> {
  return (await api<DeviceListResponse>('/api/iot/devices', signal ? { signal } : {})).data.items;
}

export async function registerDevice(name: string, type: string): Promise<DeviceCredentials> {
  return (await api<DeviceCredentials>('/api/iot/devices', { method: 'POST', body: JSON.stringify({ name, type }) })).data;
}

/** `step` left out is the server's `auto` (raw, 1-minute or 1-hour by the window). */
export async function getSeries(deviceId: string, metric: string, from: number, to: number, signal?: AbortSignal, step?: 'raw' | '1m'): Promise<SeriesResponse> {
  const query = new URLSearchParams({ metric, from: String(from), to: String(to), ...(step ? { step } : {}) });
  return (await api<SeriesResponse>(`/api/iot/devices/${encodeURIComponent(deviceId)}/series?${query}`, signal ? { signal } : {})).data;
}

export async function listAlerts(options: { deviceId?: string | undefined; since?: number; limit?: number }, signal?: AbortSignal): Promise<AlertView[]> {
  const query = new URLSearchParams();
  if (options.deviceId) query.set('deviceId', options.deviceId);
  if (options.since !== undefined) query.set('since', String(options.since));
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  return (await api<AlertListResponse>(`/api/iot/alerts?${query}`, signal ? { signal } : {})).data.items;
}

export async function createReport(from: number, to: number): Promise<ReportView> {
  return (await api<ReportView>('/api/iot/reports', { method: 'POST', body: JSON.stringify({ from, to }) })).data;
}

export async function listReports(signal?: AbortSignal): Promise<ReportView[]> {
  return (await api<ReportListResponse>('/api/iot/reports', signal ? { signal } : {})).data.items;
}
