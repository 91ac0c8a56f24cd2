import sharp from 'sharp';
import { imageEngineFromEnv } from '#shared/images/engine';
import { JimpImageEngine } from '#shared/images/jimp-engine';
import { readHeader } from '#shared/images/header';
import { MAX_IMAGE_BYTES } from '#shared/images/limits';
import { LIBVIPS_THREADS_PER_IMAGE, loadSharp, SharpImageEngine } from '#shared/images/sharp-engine';
import { ImageRejectedError, type ImageEngine, type ImageRejectReason } from '#shared/ports/image-engine';
import { headerOnlyPng, near, pixelAt, QUADRANTS, quadrantJpeg } from '../helpers/image-fixtures';

const [RED, GREEN, BLUE, WHITE] = QUADRANTS;

interface Fixtures {
  /** 400×300 as stored, EXIF orientation 6: upright it is 300×400 (portrait). */
  rotatedJpeg: Buffer;
  alphaPng: Buffer;
  webp: Buffer;
  webpLossless: Buffer;
  webpRotated: Buffer;
  grey: Buffer;
  hugeJpeg: Buffer;
  truncatedJpeg: Buffer;
  truncatedPng: Buffer;
  badHuffmanJpeg: Buffer;
  badIdatPng: Buffer;
  gif: Buffer;
  tiny: Buffer;
}

let fixtures: Fixtures;

beforeAll(async () => {
  const rotatedJpeg = await quadrantJpeg(400, 300, 6);
  const plainPng = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366cc' } }).png().toBuffer();
  fixtures = {
    rotatedJpeg,
    // Left half transparent, right half opaque orange.
    alphaPng: await sharp({ create: { width: 600, height: 400, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: { create: { width: 300, height: 400, channels: 4, background: { r: 250, g: 140, b: 20, alpha: 1 } } }, left: 300, top: 0 }])
      .png()
      .toBuffer(),
    webp: await sharp(await quadrantJpeg(400, 300)).webp({ quality: 90 }).toBuffer(),
    webpLossless: await sharp(plainPng).webp({ lossless: true }).toBuffer(),
    webpRotated: await sharp(await quadrantJpeg(400, 300)).withMetadata({ orientation: 6 }).webp({ quality: 90 }).toBuffer(),
    grey: await sharp({ create: { width: 1100, height: 700, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toBuffer(),
    hugeJpeg: await sharp({ create: { width: 16000, height: 3000, channels: 3, background: '#808080' } }).jpeg({ quality: 50 }).toBuffer(),
    truncatedJpeg: rotatedJpeg.subarray(0, Math.floor(rotatedJpeg.length * 0.6)),
    truncatedPng: plainPng.subarray(0, plainPng.length - 40),
    badHuffmanJpeg: corruptAfter(rotatedJpeg, [0xff, 0xc4], 5, 16), // the DHT's code-length counts
    badIdatPng: corruptAfter(plainPng, [...Buffer.from('IDAT')], 4, 36),
    gif: await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).gif().toBuffer(),
    tiny: await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).png().toBuffer(),
  };
});

/** A copy of `bytes` with `length` bytes overwritten, `offset` bytes after the first `marker`: structure intact, content broken. */
function corruptAfter(bytes: Buffer, marker: number[], offset: number, length: number): Buffer {
  const at = bytes.indexOf(Buffer.from(marker));
  expect(at).toBeGreaterThan(0);
  const copy = Buffer.from(bytes);
  copy.fill(0xff, at + offset, at + offset + length);
  return copy;
}

async function rejection(promise: Promise<unknown>): Promise<ImageRejectReason> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageRejectedError);
  return (err as ImageRejectedError).reason;
}

describe.each([
  ['sharp', async (): Promise<ImageEngine> => new SharpImageEngine(await loadSharp())],
  ['jimp', async (): Promise<ImageEngine> => new JimpImageEngine()],
])('%s image engine', (name, makeEngine) => {
  let engine: ImageEngine;
  beforeAll(async () => {
    engine = await makeEngine();
    expect(engine.name).toBe(name);
  });

  it('probes type, upright size and orientation from the header', async () => {
    await expect(engine.probe(fixtures.rotatedJpeg)).resolves.toEqual({ format: 'jpeg', width: 300, height: 400, orientation: 6, bytes: fixtures.rotatedJpeg.length });
    await expect(engine.probe(fixtures.alphaPng)).resolves.toMatchObject({ format: 'png', width: 600, height: 400 });
    await expect(engine.probe(fixtures.webp)).resolves.toMatchObject({ format: 'webp', width: 400, height: 300 });
    await expect(engine.probe(fixtures.webpLossless)).resolves.toMatchObject({ format: 'webp', width: 300, height: 200 });
    await expect(engine.probe(fixtures.webpRotated)).resolves.toMatchObject({ format: 'webp', width: 300, height: 400, orientation: 6 });
  });

  it('makes a 256-px-wide WebP, upright: a stored landscape with orientation 6 comes out portrait and turned', async () => {
    const thumb = await engine.thumbnail(fixtures.rotatedJpeg, { width: 256 });
    expect(thumb).toMatchObject({ width: 256, height: 341, contentType: 'image/webp' });
    const meta = await sharp(thumb.body).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 256, height: 341 });
    // A quarter turn clockwise moves the stored bottom-left (blue) to the top-left.
    expect(near(await pixelAt(thumb.body, 64, 85), BLUE)).toBe(true);
    expect(near(await pixelAt(thumb.body, 192, 85), RED)).toBe(true);
    expect(near(await pixelAt(thumb.body, 64, 255), WHITE)).toBe(true);
    expect(near(await pixelAt(thumb.body, 192, 255), GREEN)).toBe(true);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('applies EXIF orientation %i exactly like libvips autoOrient', async (orientation) => {
    const stored = await quadrantJpeg(64, 48, orientation);
    const thumb = await engine.thumbnail(stored, { width: 32 });
    const reference = await sharp(stored).autoOrient().resize({ width: 32 }).png().toBuffer();
    const { width, height } = await sharp(reference).metadata();
    expect([thumb.width, thumb.height]).toEqual([width, height]);
    for (const [x, y] of [
      [width / 4, height / 4],
      [(3 * width) / 4, height / 4],
      [width / 4, (3 * height) / 4],
      [(3 * width) / 4, (3 * height) / 4],
    ] as const) {
      expect(near(await pixelAt(thumb.body, Math.floor(x), Math.floor(y)), await pixelAt(reference, Math.floor(x), Math.floor(y)))).toBe(true);
    }
  });

  it('orients a WebP by its EXIF chunk too', async () => {
    const thumb = await engine.thumbnail(fixtures.webpRotated, { width: 150 });
    expect([thumb.width, thumb.height]).toEqual([150, 200]);
    expect(near(await pixelAt(thumb.body, 37, 50), BLUE)).toBe(true);
  });

  it('strips EXIF, XMP and ICC metadata', async () => {
    expect((await sharp(fixtures.rotatedJpeg).metadata()).exif).toBeDefined();
    const thumb = await engine.thumbnail(fixtures.rotatedJpeg, { width: 256 });
    const meta = await sharp(thumb.body).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(thumb.body.includes('fixture-copyright')).toBe(false);
  });

  it('keeps transparency from a PNG with alpha', async () => {
    const thumb = await engine.thumbnail(fixtures.alphaPng, { width: 256 });
    expect(thumb).toMatchObject({ width: 256, height: 171 });
    expect((await sharp(thumb.body).metadata()).hasAlpha).toBe(true);
    expect((await pixelAt(thumb.body, 40, 85))[3]).toBeLessThan(20);
    expect(near(await pixelAt(thumb.body, 216, 85), [250, 140, 20, 255])).toBe(true);
  });

  it('reads WebP input, lossy and lossless', async () => {
    const lossy = await engine.thumbnail(fixtures.webp, { width: 256 });
    expect(lossy).toMatchObject({ width: 256, height: 192 });
    expect(near(await pixelAt(lossy.body, 64, 48), RED)).toBe(true);
    const lossless = await engine.thumbnail(fixtures.webpLossless, { width: 256 });
    expect(await sharp(lossless.body).metadata()).toMatchObject({ format: 'webp', width: 256, height: 171 });
  });

  it('never upscales', async () => {
    const thumb = await engine.thumbnail(fixtures.webpLossless, { width: 1024 });
    expect(thumb).toMatchObject({ width: 300, height: 200 });
  });

  it('makes several sizes in one call, in the order asked, and marks only the watermarked one', async () => {
    const [plain, small, marked] = await engine.thumbnails(fixtures.grey, [{ width: 1024 }, { width: 256 }, { width: 1024, watermark: 'FC EVENT SUITE' }]);
    expect([plain!.width, plain!.height, small!.width, small!.height, marked!.width, marked!.height]).toEqual([1024, 652, 256, 163, 1024, 652]);
    const { data: a } = await sharp(plain!.body).greyscale().raw().toBuffer({ resolveWithObject: true });
    const { data: b } = await sharp(marked!.body).greyscale().raw().toBuffer({ resolveWithObject: true });
    const rows = (data: Buffer, from: number, to: number) => data.subarray(from * 1024, to * 1024);
    const mean = (data: Buffer) => data.reduce((s, v) => s + v, 0) / data.length;
    // The bar darkens the bottom rows, its text puts white pixels in them, and the rest is untouched.
    expect(mean(rows(b, 620, 652))).toBeLessThan(mean(rows(a, 620, 652)) - 20);
    expect(Math.max(...rows(b, 620, 652))).toBeGreaterThan(220);
    expect(Math.max(...rows(a, 620, 652))).toBeLessThan(160);
    expect(Math.abs(mean(rows(b, 0, 600)) - mean(rows(a, 0, 600)))).toBeLessThan(2);
  });

  // `fromHeader`: the reason is known without decoding, so `probe` refuses the file too.
  it.each<{ label: string; fixture: keyof Fixtures | (() => Buffer); reason: ImageRejectReason; fromHeader: boolean }>([
    { label: 'a 16000×3000 JPEG (48 MP)', fixture: 'hugeJpeg', reason: 'too-many-pixels', fromHeader: true },
    { label: 'a header-only 16000×3000 PNG (nothing to decode)', fixture: () => headerOnlyPng(16000, 3000), reason: 'too-many-pixels', fromHeader: true },
    { label: 'a truncated JPEG', fixture: 'truncatedJpeg', reason: 'corrupt', fromHeader: true },
    { label: 'a truncated PNG', fixture: 'truncatedPng', reason: 'corrupt', fromHeader: true },
    { label: 'JPEG magic followed by junk', fixture: () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.alloc(64, 7)]), reason: 'corrupt', fromHeader: true },
    { label: 'a JPEG with a bogus Huffman table', fixture: 'badHuffmanJpeg', reason: 'corrupt', fromHeader: false },
    { label: 'a PNG whose compressed data is garbage', fixture: 'badIdatPng', reason: 'corrupt', fromHeader: false },
    { label: 'a GIF', fixture: 'gif', reason: 'unsupported-type', fromHeader: true },
    { label: 'a PDF', fixture: () => Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n'), reason: 'unsupported-type', fromHeader: true },
    { label: 'plain text', fixture: () => Buffer.from('just some text, not an image'), reason: 'unsupported-type', fromHeader: true },
    { label: 'an empty file', fixture: () => Buffer.alloc(0), reason: 'unsupported-type', fromHeader: true },
    { label: 'an 8×8 PNG', fixture: 'tiny', reason: 'too-small', fromHeader: true },
    { label: 'more than 20 MB', fixture: () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(MAX_IMAGE_BYTES)]), reason: 'too-large-bytes', fromHeader: true },
  ])('rejects $label as $reason', async ({ fixture, reason, fromHeader }) => {
    const bytes = typeof fixture === 'function' ? fixture() : fixtures[fixture];
    expect(await rejection(engine.thumbnail(bytes, { width: 256 }))).toBe(reason);
    expect(await rejection(engine.thumbnails(bytes, [{ width: 256 }, { width: 1024 }]))).toBe(reason);
    if (fromHeader) expect(await rejection(engine.probe(bytes))).toBe(reason);
    else await expect(engine.probe(bytes)).resolves.toMatchObject({ width: expect.any(Number) });
  });

  it('refuses nonsense options with a validation error', async () => {
    await expect(engine.thumbnail(fixtures.webp, { width: 0 })).rejects.toMatchObject({ status: 400 });
    await expect(engine.thumbnail(fixtures.webp, { width: 256, quality: 101 })).rejects.toMatchObject({ status: 400 });
  });
});

describe('sharp image engine: one decode per upload', () => {
  it('decodes the upload once for both sizes, each size upright, the watermark on the large one only', async () => {
    const real = await loadSharp();
    const inputs: unknown[] = [];
    // Records what every sharp pipeline reads: the upload itself, or raw pixels made from it.
    const counting = ((input: unknown, options: unknown) => {
      inputs.push(input);
      return real(input as Buffer, options as Parameters<typeof real>[1]);
    }) as unknown as typeof real;
    const engine = new SharpImageEngine(counting);
    const [small, large] = await engine.thumbnails(fixtures.rotatedJpeg, [{ width: 256 }, { width: 300, watermark: 'FC EVENT SUITE' }]);
    expect(inputs.filter((input) => input === fixtures.rotatedJpeg)).toHaveLength(1);
    expect(small).toMatchObject({ width: 256, height: 341 });
    expect(large).toMatchObject({ width: 300, height: 400 });
    // Both upright (orientation 6: the stored bottom-left, blue, is now top-left)...
    expect(near(await pixelAt(small!.body, 64, 85), BLUE)).toBe(true);
    expect(near(await pixelAt(large!.body, 75, 100), BLUE)).toBe(true);
    // ...and the small one made from the large one's pixels before its watermark: no bar at the bottom.
    expect(near(await pixelAt(small!.body, 192, 338), GREEN)).toBe(true);
  });
});

describe('readHeader: a JPEG is complete when an end marker follows its first scan', () => {
  it('reads completeness from the tail: trailing bytes allowed, an end marker before the scan does not count', async () => {
    const jpeg = await quadrantJpeg(400, 300);
    const comment = (text: Buffer) => Buffer.concat([Buffer.from([0xff, 0xfe, 0, text.length + 2]), text]);
    // An FFD9 inside a COM segment, before the scan: not the file's end.
    const withEoiInHeader = Buffer.concat([jpeg.subarray(0, 2), comment(Buffer.from([0x41, 0xff, 0xd9, 0x42])), jpeg.subarray(2)]);
    const scanEnd = jpeg.length - 2;
    expect(readHeader(jpeg, 'jpeg').complete).toBe(true);
    expect(readHeader(Buffer.concat([jpeg, Buffer.alloc(300)]), 'jpeg').complete).toBe(true); // padding after EOI, as some cameras write
    expect(readHeader(withEoiInHeader, 'jpeg').complete).toBe(true);
    expect(readHeader(jpeg.subarray(0, scanEnd), 'jpeg').complete).toBe(false);
    expect(readHeader(withEoiInHeader.subarray(0, withEoiInHeader.length - 2), 'jpeg').complete).toBe(false);
  });
});

describe('sharp image engine: libvips threads', () => {
  it('runs one libvips thread per image whatever sharp picked for the platform (instances are the parallelism, D69)', async () => {
    const real = await loadSharp();
    const before = real.concurrency();
    try {
      real.concurrency(4); // what sharp picks on macOS or musl with 4 CPUs
      new SharpImageEngine(real);
      expect(real.concurrency()).toBe(LIBVIPS_THREADS_PER_IMAGE);
      expect(LIBVIPS_THREADS_PER_IMAGE).toBe(1);
    } finally {
      real.concurrency(before);
    }
  });
});

describe('imageEngineFromEnv', () => {
  const failingSharp = () => Promise.reject(new Error('Could not load the "sharp" module using the linux-x64 runtime'));

  it('uses sharp by default and jimp when asked', async () => {
    expect((await imageEngineFromEnv({})).name).toBe('sharp');
    expect((await imageEngineFromEnv({ IMAGE_ENGINE: 'jimp' })).name).toBe('jimp');
  });

  it('falls back to jimp when sharp cannot load, unless sharp was required', async () => {
    expect((await imageEngineFromEnv({}, { loadSharp: failingSharp })).name).toBe('jimp');
    await expect(imageEngineFromEnv({ IMAGE_ENGINE: 'sharp' }, { loadSharp: failingSharp })).rejects.toThrow(/IMAGE_ENGINE=sharp but sharp cannot load/);
  });

  it('refuses an unknown engine name', async () => {
    await expect(imageEngineFromEnv({ IMAGE_ENGINE: 'imagemagick' })).rejects.toMatchObject({ status: 400 });
  });
});
