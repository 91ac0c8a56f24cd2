import * as z from 'zod';
import { objectStoreFor } from '#shared/aliyun/deps/object-store';
import { searchIndexFor } from '#shared/aliyun/deps/search-index';
import { tableFor } from '#shared/aliyun/deps/table';
import { ImageId, SearchQueryParams } from '#shared/contracts/images';
import { createHttpHandler, json, queryParams } from '#shared/fc/http';
import type { FcContext } from '#shared/fc/types';
import { lazily } from '#shared/lazy';
import { parseWith } from '#shared/validation';
import { getImageView, searchImages, thumbnailUrl, type ImageApiDeps } from './core';

const ThumbnailParams = z.object({ imageId: ImageId, size: z.enum(['256', '1024']) });

export const createHandler = (deps: (fc: FcContext) => ImageApiDeps) =>
  createHttpHandler([
    {
      method: 'GET',
      path: '/api/images/:imageId',
      handle: async (req, { fc }) => {
        const { imageId } = parseWith(z.object({ imageId: ImageId }), req.params, 'path');
        const view = await getImageView(imageId, deps(fc));
        // A pending image changes within seconds; a settled one only if it is deleted.
        return json(200, view, { 'cache-control': view.status === 'pending' ? 'no-store' : 'private, max-age=60' });
      },
    },
    {
      method: 'GET',
      path: '/api/images/:imageId/thumbnail/:size',
      handle: async (req, { fc }) => {
        const { imageId, size } = parseWith(ThumbnailParams, req.params, 'path');
        const url = await thumbnailUrl(imageId, size === '256' ? 'small' : 'large', deps(fc));
        // Browsers may reuse the redirect for a while; the signed URL itself lives longer than that.
        return { status: 302, headers: { location: url, 'cache-control': 'private, max-age=600' } };
      },
    },
    {
      method: 'GET',
      path: '/api/search',
      readsQuery: true,
      handle: async (req, { fc }) => {
        const { q, productId, tag, limit, cursor } = queryParams(req, SearchQueryParams);
        const result = await searchImages({ limit, ...(q ? { text: q } : {}), ...(productId ? { productId } : {}), ...(tag ? { tag } : {}), ...(cursor ? { cursor } : {}) }, deps(fc));
        return json(200, result, { 'cache-control': 'no-store' });
      },
    },
  ]);

// Each route uses one client (status: table, thumbnail: OSS, search: index): build only that one.
export const handler = createHandler((fc) =>
  lazily<ImageApiDeps>({ table: () => tableFor(fc), objects: () => objectStoreFor(fc, process.env.MEDIA_BUCKET ?? ''), search: () => searchIndexFor(fc) }),
);
