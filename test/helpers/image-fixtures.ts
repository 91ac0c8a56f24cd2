/**
 * Image fixtures made in the test with sharp, so no binary files live in the repo and each fixture says how
 * it was built. Shared by the image engine tests and `make-thumbnail`'s tests.
 */
import sharp from 'sharp';

export type Rgb = [number, number, number];

/** Saturated quadrant colours: top-left, top-right, bottom-left, bottom-right. */
export const QUADRANTS: readonly [Rgb, Rgb, Rgb, Rgb] = [
  [220, 30, 30],
  [30, 200, 30],
  [30, 30, 220],
  [240, 240, 240],
];

/** Raw RGB `width`×`height` with one colour per quadrant: any turn or mirror moves the colours. */
export function quadrantPixels(width: number, height: number): { data: Buffer; info: { width: number; height: number; channels: 3 } } {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = QUADRANTS[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)]!;
      data.set(colour, (y * width + x) * 3);
    }
  }
  return { data, info: { width, height, channels: 3 } };
}

/** A JPEG of the quadrant pattern as stored, tagged with EXIF `orientation` (and other EXIF that must not survive). */
export async function quadrantJpeg(width: number, height: number, orientation?: number): Promise<Buffer> {
  const { data, info } = quadrantPixels(width, height);
  let image = sharp(data, { raw: info }).withExif({ IFD0: { Copyright: 'fixture-copyright', Artist: 'fixture-artist', Software: 'fixture-software' } });
  if (orientation !== undefined) image = image.withMetadata({ orientation });
  return image.jpeg({ quality: 92 }).toBuffer();
}

/** A photo-like image: smooth gradients plus gaussian noise, so encoders and resizers do real work. */
export async function photoLikeJpeg(width: number, height: number, quality = 90): Promise<Buffer> {
  const gradient = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2a6fdb"/><stop offset="1" stop-color="#f4c542"/></linearGradient></defs>' +
      `<rect width="100%" height="100%" fill="url(#g)"/><circle cx="${width * 0.7}" cy="${height * 0.55}" r="${height * 0.25}" fill="#d94545"/></svg>`,
  );
  const noise = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer();
  return sharp(gradient).composite([{ input: noise, blend: 'soft-light' }]).jpeg({ quality }).toBuffer();
}

/** A PNG signature and IHDR claiming `width`×`height`, then IEND: a header with no pixels behind it. */
export function headerOnlyPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    return out; // CRC left zero: only the header reader sees this file
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IEND', Buffer.alloc(0))]);
}

/** RGB(A) of one pixel of any image sharp reads. */
export async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + info.channels)];
}

/** Whether two colours are within `tolerance` on every channel (lossy codecs move colours a little). */
export function near(actual: number[], expected: number[], tolerance = 40): boolean {
  return expected.every((value, i) => Math.abs((actual[i] ?? -999) - value) <= tolerance);
}
