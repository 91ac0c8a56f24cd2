import type { RgbaBitmap } from './bitmap';
import { glyph, GLYPH_HEIGHT, GLYPH_WIDTH } from './pixel-font';

export interface Overlay extends RgbaBitmap {
  left: number;
  top: number;
}

const BAR = [0, 0, 0, 115] as const; // black, 45 % opaque: darkens without hiding the photo
const INK = [255, 255, 255, 235] as const;

/**
 * The watermark for a `width`×`height` image: a semi-transparent bar along the bottom edge with `text`
 * right-aligned in white. Glyphs are scaled by whole pixels (4× on the 1024-px thumbnail) so they stay
 * crisp; text longer than the image is clipped. Both engines draw this same overlay.
 *
 * @example
 * ```ts
 * const mark = watermarkOverlay(1024, 768, 'FC EVENT SUITE'); // a 1024×44 bar at top 724
 * ```
 */
/** Overlays by size and text: thumbnails come in a few fixed sizes, so each is drawn once per instance. */
const drawn = new Map<string, Overlay>();
const DRAWN_LIMIT = 32;

export function watermarkOverlay(width: number, height: number, text: string): Overlay {
  const key = `${width}x${height}:${text}`;
  let overlay = drawn.get(key);
  if (!overlay) {
    overlay = drawOverlay(width, height, text);
    if (drawn.size >= DRAWN_LIMIT) drawn.delete(drawn.keys().next().value!);
    drawn.set(key, overlay);
  }
  return overlay;
}

function drawOverlay(width: number, height: number, text: string): Overlay {
  const scale = Math.max(1, Math.round(width / 256));
  const pad = 2 * scale;
  const barHeight = Math.min(height, GLYPH_HEIGHT * scale + 2 * pad);
  const data = new Uint8Array(width * barHeight * 4);
  for (let i = 0; i < data.length; i += 4) data.set(BAR, i);

  const advance = (GLYPH_WIDTH + 1) * scale;
  const textWidth = text.length * advance - scale;
  let penX = Math.max(pad, width - 2 * pad - textWidth);
  const penY = Math.max(0, Math.floor((barHeight - GLYPH_HEIGHT * scale) / 2));
  for (const char of text) {
    drawGlyph(data, width, barHeight, glyph(char), penX, penY, scale);
    penX += advance;
  }
  return { data, width, height: barHeight, left: 0, top: height - barHeight };
}

function drawGlyph(data: Uint8Array, width: number, height: number, rows: string[], left: number, top: number, scale: number): void {
  rows.forEach((row, gy) => {
    for (let gx = 0; gx < row.length; gx++) {
      if (row[gx] !== '#') continue;
      for (let dy = 0; dy < scale; dy++) {
        const y = top + gy * scale + dy;
        if (y >= height) break;
        for (let dx = 0; dx < scale; dx++) {
          const x = left + gx * scale + dx;
          if (x < width) data.set(INK, (y * width + x) * 4);
        }
      }
    }
  });
}
