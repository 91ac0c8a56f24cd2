import { api } from './api';

/**
 * The image API as the website uses it (PRODUCT.md §3 Images). Kept here as plain types so the page
 * does not pull zod into the browser bundle; the server's schemas are the authority.
 */
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

export interface UploadRequest {
  filename: string;
  contentType: string;
  size: number;
  productId?: string;
  title?: string;
  tags?: string[];
}

export interface UploadTicket {
  imageId: string;
  key: string;
  uploadUrl: string;
  headers: Record<string, string>;
  expiresAt: string;
}

export type ImageStatus = 'pending' | 'ready' | 'rejected';

export interface ImageRecord {
  imageId: string;
  status: ImageStatus;
  reason?: string;
  title: string;
  tags: string[];
  productId?: string;
  width?: number;
  height?: number;
  thumbnails?: { small: string; large: string };
  createdAt: string;
}

export interface SearchHit {
  imageId: string;
  title: string;
  tags: string[];
  productId?: string;
  width: number;
  height: number;
  thumbnails: { small: string; large: string };
  score: number;
}

export interface SearchPage {
  hits: SearchHit[];
  nextCursor?: string;
}

export interface SearchQuery {
  q?: string;
  tag?: string;
  productId?: string;
  cursor?: string;
  limit?: number;
}

export async function requestUpload(body: UploadRequest): Promise<UploadTicket> {
  return (await api<UploadTicket>('/api/uploads', { method: 'POST', body: JSON.stringify(body) })).data;
}

export async function getImage(imageId: string): Promise<ImageRecord> {
  return (await api<ImageRecord>(`/api/images/${encodeURIComponent(imageId)}`)).data;
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

/** The reasons the pipeline gives, in words a person understands. Unknown reasons are shown as sent. */
export function rejectionText(reason: string | undefined): string {
  const r = (reason ?? '').toLowerCase();
  if (!r) return 'The photo could not be processed.';
  if (r.includes('corrupt') || r.includes('decode') || r.includes('unsupported')) return 'The file is damaged or is not a photo we can read.';
  if (r.includes('too large') || r.includes('pixels') || r.includes('megapixel')) return 'The photo is too large (more than 40 megapixels).';
  if (r.includes('too small')) return 'The photo is too small to make a thumbnail.';
  if (r.includes('type') || r.includes('format')) return 'Only JPEG, PNG and WebP photos are accepted.';
  return reason!.charAt(0).toUpperCase() + reason!.slice(1);
}
