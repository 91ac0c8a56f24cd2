import { tableFor } from '#shared/aliyun/deps/table';
import { TokenRequest } from '#shared/contracts/auth';
import { createHttpHandler, json, jsonBody } from '#shared/fc/http';
import type { FcContext } from '#shared/fc/types';
import { systemClock } from '#shared/ports/clock';
import { LoginThrottle, signIn, type AuthDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => AuthDeps) =>
  createHttpHandler([
    {
      method: 'POST',
      path: '/api/auth/token',
      handle: async (req, { fc }) => json(200, await signIn(jsonBody(req, TokenRequest), deps(fc)), { 'cache-control': 'no-store' }),
    },
  ]);

const throttle = new LoginThrottle();

export const handler = createHandler((fc) => ({
  table: tableFor(fc),
  clock: systemClock,
  jwtSecret: process.env.JWT_SECRET ?? '',
  throttle,
}));
