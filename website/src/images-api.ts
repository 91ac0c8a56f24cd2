import { api } from './api';

import type { ImageView, SearchHitView, UploadTicket } from '../../functions/_shared/contracts/images';

/**
 * The image API as the website uses it (PRODUCT.md §3 Images). Types come from the shared contracts
 * (type-only imports: nothing of zod reaches the browser bundle); the two limits are repeated here
 * because they are values, and a test keeps them equal to the server's.
 */
export type { ImageView, SearchHitView, UploadTicket };
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
/** A title's length in characters (code points, as the API counts them). */
export const TITLE_MAX = 120;

/** The body of `POST /api/uploads` as the client sends it (the server trims, lower-cases and de-duplicates). */
export interface UploadRequest {
  filename: string;
  contentType: string;
  size: number;
  productId?: string;
  title?: string;
  tags?: string[];
}

export interface SearchPage {
  hits: SearchHitView[];
  nextCursor?: string;
}

export interface SearchQuery {
  q?: string | undefined;
  tag?: string | undefined;
  productId?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

export async function requestUpload(body: UploadRequest): Promise<UploadTicket> {
  return (await api<UploadTicket>('/api/uploads', { method: 'POST', body: JSON.stringify(body) })).data;
}

export async function getImage(imageId: string): Promise<ImageView> {
  return (await api<ImageView>(`/api/images/${encodeURIComponent(imageId)}`)).data;
}

export async function searchImages(query: SearchQuery): Promise<SearchPage> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  return (await api<SearchPage>(`/api/search?${params.toString()}`)).data;
}

/** Tags as a person types them ("beach, summer #sunset") → ['beach', 'summer', 'sunset']. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(/[,\s]+/)
    .map((t) => t.replace(/^#/, '').trim().toLowerCase())
    .filter(Boolean);
  return [...new Set(tags)];
}

/** The pipeline's rejection reasons (`IMAGE_REJECT_REASONS`) in words a person understands. */
const REJECTION_TEXT: Record<string, string> = {
  'unsupported-type': 'This file is not a JPEG, PNG or WebP photo.',
  corrupt: 'The file is damaged and could not be read as a photo.',
  'too-many-pixels': 'The photo is too large: more than 40 megapixels.',
  'too-small': 'The photo is too small to make a thumbnail (at least 16×16 pixels).',
  'too-large-bytes': 'The file is larger than 20 MB.',
};

export function rejectionText(reason: string | undefined): string {
  if (!reason) return 'The photo could not be processed.';
  return REJECTION_TEXT[reason] ?? `The photo could not be processed (${reason}).`;
}
