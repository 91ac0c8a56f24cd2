/**
 * Content-Type from an object name's extension, for writes that send none — OSS does the same (and falls back to
 * application/octet-stream). The table holds the types people store; anything else is octet-stream, as on OSS
 * for an unknown extension.
 */
const TYPES: Record<string, string> = {
  txt: 'text/plain', htm: 'text/html', html: 'text/html', css: 'text/css', csv: 'text/csv', md: 'text/markdown',
  xml: 'application/xml', js: 'application/javascript', mjs: 'application/javascript', json: 'application/json',
  map: 'application/json', wasm: 'application/wasm', pdf: 'application/pdf', zip: 'application/zip',
  gz: 'application/gzip', tgz: 'application/gzip', tar: 'application/x-tar', '7z': 'application/x-7z-compressed',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif',
  bmp: 'image/bmp', svg: 'image/svg+xml', ico: 'image/x-icon', tif: 'image/tiff', tiff: 'image/tiff', heic: 'image/heic',
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', m4a: 'audio/mp4', flac: 'audio/flac',
  mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime', avi: 'video/x-msvideo', mkv: 'video/x-matroska',
  m3u8: 'application/vnd.apple.mpegurl', ts: 'video/mp2t', woff: 'font/woff', woff2: 'font/woff2', ttf: 'font/ttf',
  otf: 'font/otf', apk: 'application/vnd.android.package-archive', log: 'text/plain',
};

/** @example contentTypeFor('thumbs/a/256.webp') // 'image/webp' */
export function contentTypeFor(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return (dot > 0 && TYPES[name.slice(dot + 1).toLowerCase()]) || 'application/octet-stream';
}
