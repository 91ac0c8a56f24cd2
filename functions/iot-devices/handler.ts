import * as z from 'zod';
import { authenticate, requireRole } from '#shared/auth';
import { tableFor } from '#shared/aliyun/deps/table';
import { AlertsQuery, DeviceId, RegisterDeviceRequest, SeriesQuery } from '#shared/contracts/iot';
import { createHttpHandler, json, jsonBody, queryParams, type HttpRequest } from '#shared/fc/http';
import type { FcContext } from '#shared/fc/types';
import { secretBoxFromEnv } from '#shared/iot/env';
import { systemClock } from '#shared/ports/clock';
import { parseWith } from '#shared/validation';
import { getDeviceView, listDeviceViews, registerDevice, rotateSecret, type DevicesDeps } from './core';
import { getSeries, listAlerts } from './data';

/**
 * `/api/iot/devices[/…]` and `/api/iot/alerts`: the registry (admin) and the data API (any signed-in user).
 * Answers that carry a secret are never cached; live data is not either.
 */
const DeviceParams = z.object({ deviceId: DeviceId });
const NO_STORE = { 'cache-control': 'no-store' };

export const createHandler = (deps: (fc: FcContext) => DevicesDeps, jwtSecret: () => string) => {
  const user = (req: HttpRequest) => authenticate(req.headers, jwtSecret());
  const admin = async (req: HttpRequest) => {
    const who = await user(req);
    requireRole(who, 'admin');
    return who;
  };
  const deviceId = (req: HttpRequest) => parseWith(DeviceParams, req.params, 'path').deviceId;
  return createHttpHandler([
    {
      method: 'POST',
      path: '/api/iot/devices',
      handle: async (req, { fc, log }) => {
        const who = await admin(req);
        const created = await registerDevice(jsonBody(req, RegisterDeviceRequest), who, deps(fc));
        log.info({ deviceId: created.deviceId, type: created.type, by: who.username }, 'device registered');
        return json(201, created, NO_STORE);
      },
    },
    {
      method: 'GET',
      path: '/api/iot/devices',
      handle: async (req, { fc }) => {
        await user(req);
        return json(200, await listDeviceViews(deps(fc)), NO_STORE);
      },
    },
    {
      method: 'GET',
      path: '/api/iot/devices/:deviceId',
      handle: async (req, { fc }) => {
        await user(req);
        return json(200, await getDeviceView(deviceId(req), deps(fc)), NO_STORE);
      },
    },
    {
      method: 'GET',
      path: '/api/iot/devices/:deviceId/latest',
      handle: async (req, { fc }) => {
        await user(req);
        return json(200, await getDeviceView(deviceId(req), deps(fc)), NO_STORE);
      },
    },
    {
      method: 'POST',
      path: '/api/iot/devices/:deviceId/secret',
      handle: async (req, { fc, log }) => {
        const who = await admin(req);
        const rotated = await rotateSecret(deviceId(req), deps(fc));
        log.info({ deviceId: rotated.deviceId, by: who.username }, 'device secret rotated');
        return json(200, rotated, NO_STORE);
      },
    },
    {
      method: 'GET',
      path: '/api/iot/devices/:deviceId/series',
      readsQuery: true,
      handle: async (req, { fc }) => {
        await user(req);
        return json(200, await getSeries(deviceId(req), queryParams(req, SeriesQuery), deps(fc)), NO_STORE);
      },
    },
    {
      method: 'GET',
      path: '/api/iot/alerts',
      readsQuery: true,
      handle: async (req, { fc }) => {
        await user(req);
        return json(200, await listAlerts(queryParams(req, AlertsQuery), deps(fc)), NO_STORE);
      },
    },
  ]);
};

export const handler = createHandler(
  (fc) => ({ table: tableFor(fc), clock: systemClock, secrets: secretBoxFromEnv() }),
  () => process.env.JWT_SECRET ?? '',
);
