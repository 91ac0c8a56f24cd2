import { authenticate, requireRole } from '#shared/auth';
import { objectStoreFor } from '#shared/aliyun/deps/object-store';
import { tableFor } from '#shared/aliyun/deps/table';
import { ReportRequest } from '#shared/contracts/iot';
import { createHttpHandler, json, jsonBody, type HttpRequest } from '#shared/fc/http';
import { isHttpTriggerEvent } from '#shared/fc/service';
import type { FcContext, FcHandler } from '#shared/fc/types';
import { createLogger } from '#shared/log';
import { systemClock } from '#shared/ports/clock';
import { parseJson } from '#shared/validation';
import { createReport, dailyWindow, listReports, type ReportDeps } from './core';

/**
 * iot-report: the daily timer (the previous UTC day) and the admin API — `POST /api/iot/reports {from, to}`
 * writes a report now and answers its signed download URL; `GET /api/iot/reports` lists recent ones.
 */
export const createHandler = (deps: (fc: FcContext) => ReportDeps, jwtSecret: () => string): FcHandler => {
  const admin = async (req: HttpRequest) => {
    const who = await authenticate(req.headers, jwtSecret());
    requireRole(who, 'admin');
    return who;
  };
  const http = createHttpHandler([
    {
      method: 'POST',
      path: '/api/iot/reports',
      handle: async (req, { fc, log }) => {
        const who = await admin(req);
        const report = await createReport(jsonBody(req, ReportRequest), deps(fc));
        log.info({ reportId: report.reportId, rows: report.rows, by: who.username }, 'report written');
        return json(201, report, { 'cache-control': 'no-store' });
      },
    },
    {
      method: 'GET',
      path: '/api/iot/reports',
      handle: async (req, { fc }) => {
        await admin(req);
        return json(200, await listReports(deps(fc)), { 'cache-control': 'no-store' });
      },
    },
  ]);
  return async (event, context) => {
    const decoded = parseJson(event.toString('utf8'), 'event');
    if (isHttpTriggerEvent(decoded)) return http(event, context);
    // The daily timer (or an operator's invoke): the previous UTC day, under a key fixed by its date.
    const d = deps(context);
    const report = await createReport(dailyWindow(d.clock.now()), d);
    createLogger({ requestId: context.requestId }).info({ reportId: report.reportId, rows: report.rows, key: report.key }, 'daily report written');
    return { reportId: report.reportId, key: report.key, rows: report.rows };
  };
};

export const handler = createHandler(
  (fc) => ({ table: tableFor(fc), objects: objectStoreFor(fc, process.env.MEDIA_BUCKET ?? ''), clock: systemClock }),
  () => process.env.JWT_SECRET ?? '',
);
