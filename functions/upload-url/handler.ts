import { authenticate } from '#shared/auth';
import { invokerFor } from '#shared/aliyun/deps/invoker';
import { objectStoreFor } from '#shared/aliyun/deps/object-store';
import { tableFor } from '#shared/aliyun/deps/table';
import { UploadRequest } from '#shared/contracts/images';
import { ProductInfo } from '#shared/contracts/products';
import { NotFoundError, RetryableError } from '#shared/errors';
import { callService } from '#shared/fc/call-service';
import { createHttpHandler, json, jsonBody } from '#shared/fc/http';
import type { FcContext } from '#shared/fc/types';
import { newId } from '#shared/ids';
import { systemClock } from '#shared/ports/clock';
import { createUpload, type UploadDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => UploadDeps, jwtSecret: () => string) =>
  createHttpHandler([
    {
      method: 'POST',
      path: '/api/uploads',
      handle: async (req, { fc, log }) => {
        const user = await authenticate(req.headers, jwtSecret());
        const ticket = await createUpload(jsonBody(req, UploadRequest), user, deps(fc));
        log.info({ imageId: ticket.imageId, user: user.username }, 'upload URL signed');
        return json(201, ticket, { 'cache-control': 'no-store' });
      },
    },
  ]);

/** Asks product-info, the catalogue's owner, for the product (the table is that service's own). */
const productExistsFor = (fc: FcContext) => async (productId: string) =>
  callService(invokerFor(fc), process.env.PRODUCT_INFO_FUNCTION ?? '', { op: 'get', productId }, ProductInfo, { timeoutMs: 3000 }).then(
    () => true,
    (err: unknown) => {
      if (err instanceof NotFoundError) return false;
      // Not "no such product" but "cannot tell": a 503 the browser may retry, never an unchecked id recorded.
      throw new RetryableError(`the product catalogue cannot be asked right now (${(err as Error).message}); try again in a moment`, 'ServiceUnavailable');
    },
  );

export const handler = createHandler(
  (fc) => ({ table: tableFor(fc), objects: objectStoreFor(fc, process.env.MEDIA_BUCKET ?? ''), clock: systemClock, newId, productExists: productExistsFor(fc) }),
  () => process.env.JWT_SECRET ?? '',
);
