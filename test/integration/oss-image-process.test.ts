/**
 * `x-oss-process=image/...` on GET: OSS's resize semantics (lfit, mfit, fill, pad, fixed, l/s, p, limit) computed
 * by the emulator, the pixels made by the project's image engine — the response must be byte for byte what the
 * engine makes for the same operation, with both engines. Reached as users reach it: ali-oss `get(…, {process})`
 * (V1, where x-oss-process is a signed sub-resource) and a `signatureUrl` thumbnail URL used with fetch.
 */
import sharp from 'sharp';
import { JimpImageEngine } from '#shared/images/jimp-engine';
import { loadSharp, SharpImageEngine } from '#shared/images/sharp-engine';
import type { ImageEngine, ImageTransform } from '#shared/ports/image-engine';
import { near, photoLikeJpeg, pixelAt, QUADRANTS, quadrantJpeg, type Rgb } from '../helpers/image-fixtures';
import { errorCode, ossClient, startTestOss, uniqueBucket, type LooseOss, type TestOss } from '../helpers/oss';

const BUCKET = uniqueBucket('img');

/** `x-oss-process`, the same operation for the engine, and what OSS's semantics make of a 400×300 JPEG. */
const CASES: Array<[string, ImageTransform, { width: number; height: number; format: string }]> = [
    ['image/resize,w_100', { resize: { width: 100, height: 75, fit: 'fill' }, format: 'jpeg' }, { width: 100, height: 75, format: 'jpeg' }],
    ['image/resize,h_150,m_lfit', { resize: { width: 200, height: 150, fit: 'fill' }, format: 'jpeg' }, { width: 200, height: 150, format: 'jpeg' }],
    ['image/resize,w_100,h_100,m_mfit', { resize: { width: 133, height: 100, fit: 'fill' }, format: 'jpeg' }, { width: 133, height: 100, format: 'jpeg' }],
    ['image/resize,w_100,h_100,m_fill', { resize: { width: 100, height: 100, fit: 'cover' }, format: 'jpeg' }, { width: 100, height: 100, format: 'jpeg' }],
    ['image/resize,w_100,h_100,m_pad,color_FF0000', { resize: { width: 100, height: 100, fit: 'contain', background: 'FF0000' }, format: 'jpeg' }, { width: 100, height: 100, format: 'jpeg' }],
    ['image/resize,w_50,h_80,m_fixed', { resize: { width: 50, height: 80, fit: 'fill' }, format: 'jpeg' }, { width: 50, height: 80, format: 'jpeg' }],
    ['image/resize,l_200', { resize: { width: 200, height: 150, fit: 'fill' }, format: 'jpeg' }, { width: 200, height: 150, format: 'jpeg' }],
    ['image/resize,s_60', { resize: { width: 80, height: 60, fit: 'fill' }, format: 'jpeg' }, { width: 80, height: 60, format: 'jpeg' }],
    ['image/resize,p_50', { resize: { width: 200, height: 150, fit: 'fill' }, format: 'jpeg' }, { width: 200, height: 150, format: 'jpeg' }],
    ['image/resize,w_1000', { format: 'jpeg' }, { width: 400, height: 300, format: 'jpeg' }],
    ['image/resize,w_800,limit_0', { resize: { width: 800, height: 600, fit: 'fill' }, format: 'jpeg' }, { width: 800, height: 600, format: 'jpeg' }],
    ['image/format,png', { format: 'png' }, { width: 400, height: 300, format: 'png' }],
    ['image/resize,w_64/format,webp/quality,Q_50', { resize: { width: 64, height: 48, fit: 'fill' }, format: 'webp', quality: 50 }, { width: 64, height: 48, format: 'webp' }],
    ['image/quality,q_30', { format: 'jpeg', quality: 30 }, { width: 400, height: 300, format: 'jpeg' }],
];
/** The pure-JS engine takes about a second an operation: one case per engine code path. */
const JIMP_CASES = ['image/resize,w_100', 'image/resize,w_100,h_100,m_fill', 'image/resize,w_100,h_100,m_pad,color_FF0000', 'image/format,png', 'image/resize,w_64/format,webp/quality,Q_50'];
let photo: Buffer;

beforeAll(async () => {
  photo = await photoLikeJpeg(400, 300, 90);
});

describe.each([
  ['sharp', async (): Promise<ImageEngine> => new SharpImageEngine(await loadSharp())],
  ['jimp', async (): Promise<ImageEngine> => new JimpImageEngine()],
])('through the %s engine', (name, makeEngine) => {
  let oss: TestOss;
  let client: LooseOss;
  let engine: ImageEngine;

  beforeAll(async () => {
    engine = await makeEngine();
    oss = await startTestOss({ buckets: [BUCKET], imageEngine: async () => engine });
    client = ossClient(oss.emulator, { bucket: BUCKET });
    await client.put('photo.jpg', photo);
    await client.put('notes.txt', Buffer.from('not an image'));
  });
  afterAll(() => oss.stop());

  it.each(name === 'jimp' ? CASES.filter(([process]) => JIMP_CASES.includes(process)) : CASES)('%s equals the engine doing the same', async (process, transform, expected) => {
    const { content, res } = await client.get('photo.jpg', { process });
    const direct = await engine.transform(photo, transform);
    expect(Buffer.compare(content, direct.body)).toBe(0);
    expect(res.headers['content-type']).toBe(`image/${expected.format}`);
    const meta = await sharp(content).metadata();
    expect({ width: meta.width, height: meta.height, format: meta.format }).toEqual(expected);
  });

  type Geometry = readonly [process: string, exif: number | undefined, transform: Partial<ImageTransform>, size: readonly [number, number], topLeft: Rgb | undefined];
  /**
   * A 400×300 quadrant JPEG (tagged with `exif` when given) through `process`: the same bytes the engine makes of
   * `transform`, the expected size, no orientation tag left, and the quadrant colour that ends up top-left.
   */
  async function expectGeometry([process, exif, transform, [width, height], topLeft]: Geometry): Promise<void> {
    const source = await quadrantJpeg(400, 300, exif);
    await client.put('quadrants.jpg', source);
    const { content } = await client.get('quadrants.jpg', { process });
    const direct = await engine.transform(source, { format: process.includes('png') ? 'png' : 'jpeg', ...transform });
    expect(Buffer.compare(content, direct.body)).toBe(0);
    const meta = await sharp(content).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([width, height, undefined]);
    if (topLeft) expect(near(await pixelAt(content, 5, 5), [...topLeft])).toBe(true);
  }
  const [RED, GREEN, BLUE, WHITE] = QUADRANTS;

  // OSS's auto-orient is on unless `auto-orient,0`: the image is resized as stored, then turned upright by its EXIF
  // orientation. Tagged 6 (turn 90° clockwise), the stored bottom-left (blue) is top-left once upright.
  it.each<Geometry>([
    ['image/resize,w_100', 6, { resize: { width: 100, height: 75, fit: 'fill' }, orientation: 6 }, [75, 100], BLUE],
    ['image/resize,w_100/auto-orient,1', 6, { resize: { width: 100, height: 75, fit: 'fill' }, orientation: 6 }, [75, 100], BLUE],
    ['image/auto-orient,0/resize,w_100', 6, { resize: { width: 100, height: 75, fit: 'fill' } }, [100, 75], RED],
    ['image/resize,m_pad,w_80,h_80', 6, { resize: { width: 80, height: 80, fit: 'contain', background: 'FFFFFF' }, orientation: 6 }, [80, 80], undefined],
    ['image/format,png', 6, { orientation: 6 }, [300, 400], BLUE],
  ])('turns an EXIF-oriented photo upright: %s', (...geometry) => expectGeometry(geometry));

  // rotate by quarter turns, clockwise, on the upright image; a resize after a turn works on the turned size.
  it.each<Geometry>([
    ['image/rotate,90', undefined, { orientation: 6 }, [300, 400], BLUE],
    ['image/rotate,180', undefined, { orientation: 3 }, [400, 300], WHITE],
    ['image/rotate,270', undefined, { orientation: 8 }, [300, 400], GREEN],
    ['image/rotate,360', undefined, {}, [400, 300], RED],
    ['image/resize,w_100/rotate,90', undefined, { resize: { width: 100, height: 75, fit: 'fill' }, orientation: 6 }, [75, 100], BLUE],
    ['image/rotate,90/resize,w_100', undefined, { resize: { width: 133, height: 100, fit: 'fill' }, orientation: 6 }, [100, 133], BLUE],
    ['image/rotate,90/resize,m_fill,w_60,h_40', undefined, { resize: { width: 40, height: 60, fit: 'cover' }, orientation: 6 }, [60, 40], undefined],
    // EXIF 6 turns it upright first; 90° more is half a turn from the stored pixels.
    ['image/rotate,90', 6, { orientation: 3 }, [400, 300], WHITE],
  ])('rotates: %s (EXIF orientation %s)', (...geometry) => expectGeometry(geometry));

  // crop as the first action: g_ places the origin, x_/y_ move it, w_/h_ default to the rest and stop at the edge.
  it.each<Geometry>([
    ['image/crop,w_100,h_100', undefined, { crop: { left: 0, top: 0, width: 100, height: 100 } }, [100, 100], RED],
    ['image/crop,w_100,h_100,g_se', undefined, { crop: { left: 300, top: 200, width: 100, height: 100 } }, [100, 100], WHITE],
    ['image/crop,x_250,y_10', undefined, { crop: { left: 250, top: 10, width: 150, height: 290 } }, [150, 290], GREEN],
    ['image/crop,w_1000,h_1000,g_se', undefined, { crop: { left: 0, top: 0, width: 400, height: 300 } }, [400, 300], RED],
    ['image/crop,w_200,h_200,g_center/resize,w_50', undefined, { crop: { left: 100, top: 50, width: 200, height: 200 }, resize: { width: 50, height: 50, fit: 'fill' } }, [50, 50], RED],
    ['image/crop,w_100,h_60,g_sw,x_10/rotate,90', undefined, { crop: { left: 10, top: 240, width: 100, height: 60 }, orientation: 6 }, [60, 100], BLUE],
  ])('crops: %s', (...geometry) => expectGeometry(geometry));

  it.each([
    ['image/crop,x_400', 400, 'BadRequest', /Advance cut's position is out of image/],
    ['image/crop,w_10,g_middle', 400, 'InvalidArgument', /crop g must be/],
    ['image/crop,w_10,z_1', 400, 'InvalidArgument', /crop has no parameter "z"/],
    ['image/auto-orient,1/crop,w_10,h_10', 501, 'NotImplemented', /crop" on an image with EXIF orientation 6/],
  ])('refuses %s with %i %s', async (process, status, code, names) => {
    await client.put('turned-for-crop.jpg', await quadrantJpeg(400, 300, 6));
    await client.put('plain-for-crop.jpg', await quadrantJpeg(400, 300));
    const error = await client.get(process.includes('auto-orient') ? 'turned-for-crop.jpg' : 'plain-for-crop.jpg', { process }).catch((err: { status: number; code: string; message: string }) => err);
    expect(error).toMatchObject({ status, code });
    expect(error.message).toMatch(names);
  });

  it('answers image/info with the source facts as JSON', async () => {
    const { content } = await client.get('photo.jpg', { process: 'image/info' });
    expect(JSON.parse(content.toString())).toEqual({
      FileSize: { value: String(photo.length) },
      Format: { value: 'jpg' },
      ImageHeight: { value: '300' },
      ImageWidth: { value: '400' },
    });
  });

  it('serves a signatureUrl thumbnail to plain fetch', async () => {
    const url = client.signatureUrl('photo.jpg', { expires: 60, process: 'image/resize,m_fill,w_32,h_32' });
    expect(url).toContain('x-oss-process=image');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([32, 32]);
  });

  it.each([
    ['image/resize,w_100,m_abc', 400, 'InvalidArgument'],
    ['image/resize,w_0', 400, 'InvalidArgument'],
    ['image/resize,m_lfit', 400, 'MissingArgument'],
    ['image/format,gif', 501, 'NotImplemented'],
    ['video/snapshot,t_1000', 501, 'NotImplemented'],
    // A process with a "|" step (sys/saveas) belongs in a ProcessObject POST body, never in a GET.
    ['image/resize,w_10|sys/saveas,o_dGh1bWIuanBn', 400, 'InvalidArgument'],
  ])('refuses %s with %i %s', async (process, status, code) => {
    await expect(client.get('photo.jpg', { process })).rejects.toMatchObject({ status, code });
  });

  // What people write that the emulator does not run: each is refused naming the action, never answered with
  // the unprocessed image.
  it.each([
    ['image/rotate,45', 'rotate'],
    ['image/circle,r_100', 'circle'],
    ['image/rounded-corners,r_30', 'rounded-corners'],
    ['image/watermark,text_SGVsbG8gV29ybGQ,color_FFFFFF,size_30', 'watermark'],
    ['image/blur,r_3,s_2', 'blur'],
    ['image/bright,50', 'bright'],
    ['image/contrast,-50', 'contrast'],
    ['image/sharpen,100', 'sharpen'],
    ['image/interlace,1', 'interlace'],
    ['image/indexcrop,x_100,i_0', 'indexcrop'],
    ['image/resize,w_100/crop,w_50,h_50', 'crop'],
    ['image/resize,w_100/resize,h_100', 'second resize'],
    ['style/thumbnail', 'Image styles'],
  ])('refuses %s with 501 NotImplemented naming %s', async (process, names) => {
    const error = await client.get('photo.jpg', { process }).catch((err: { status: number; code: string; message: string }) => err);
    expect(error).toMatchObject({ status: 501, code: 'NotImplemented' });
    expect(error.message).toContain(names);
  });

  it('refuses to process an object that is not an image, instead of sending its bytes', async () => {
    const error = await client.get('notes.txt', { process: 'image/resize,w_10' }).catch((err: { status: number; code: string }) => err);
    expect(error).toMatchObject({ status: 400, code: 'BadRequest' });
    const url = client.signatureUrl('photo.jpg', { expires: 60, process: 'image/resize,w_10,m_abc' });
    const response = await fetch(url);
    expect([response.status, errorCode(await response.text())]).toEqual([400, 'InvalidArgument']);
  });
});

describe('ProcessObject (POST x-oss-process with sys/saveas)', () => {
  let oss: TestOss;
  let client: LooseOss;
  const OTHER = uniqueBucket('img-to');

  beforeAll(async () => {
    oss = await startTestOss({ buckets: [BUCKET, OTHER], imageEngine: async () => new SharpImageEngine(await loadSharp()) });
    client = ossClient(oss.emulator, { bucket: BUCKET });
    await client.put('photo.jpg', photo);
  });
  afterAll(() => oss.stop());

  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  /** ali-oss's own request primitive, so the POST is signed as processObjectSave signs it, with any body. */
  const post = (body: string) =>
    client.request({ ...client._objectRequestParams('POST', 'photo.jpg', { subres: 'x-oss-process' }), content: body, successStatuses: [200] }).then(
      (r: { res: { status: number }; data: Buffer }) => ({ status: r.res.status, body: JSON.parse(r.data.toString()) }),
      (err: { status: number; code: string; message: string }) => ({ status: err.status, code: err.code, message: err.message }),
    );

  it('saves the processed image under the target key and bucket and says what it saved', async () => {
    const answer = await post(`x-oss-process=${encodeURIComponent(`image/resize,w_40/format,png|sys/saveas,o_${b64('thumbs/p.png')},b_${b64(OTHER)}`)}`);
    expect(answer).toMatchObject({ status: 200, body: { bucket: OTHER, object: 'thumbs/p.png', status: 'OK' } });
    const saved = oss.emulator.listObjects(OTHER, 'thumbs/');
    expect(saved.map((o) => [o.key, o.size])).toEqual([['thumbs/p.png', (answer as { body: { fileSize: number } }).body.fileSize]]);
    expect(oss.events.some((e) => e.key === 'thumbs/p.png')).toBe(false);
  });

  it.each([
    ['no body', '', 400, 'MissingArgument', /x-oss-process/],
    ['no saveas step', `x-oss-process=${encodeURIComponent('image/resize,w_40')}`, 400, 'InvalidArgument', /sys\/saveas/],
    ['a step other than saveas', `x-oss-process=${encodeURIComponent('image/resize,w_40|sys/notify,topic_x')}`, 501, 'NotImplemented', /sys\/notify/],
    ['no target', `x-oss-process=${encodeURIComponent('image/resize,w_40|sys/saveas,b_eA')}`, 400, 'MissingArgument', /o_/],
    ['an unknown saveas parameter', `x-oss-process=${encodeURIComponent('image/resize,w_40|sys/saveas,o_eA,z_1')}`, 400, 'InvalidArgument', /"z"/],
    ['a target that is not base64', `x-oss-process=${encodeURIComponent('image/resize,w_40|sys/saveas,o_***')}`, 400, 'InvalidArgument', /base64/],
    ['a missing target bucket', `x-oss-process=${encodeURIComponent(`image/resize,w_40|sys/saveas,o_eA,b_${b64('no-such-bucket-1')}`)}`, 404, 'NoSuchBucket', /bucket does not exist/],
    ['an action not emulated', `x-oss-process=${encodeURIComponent('image/blur,r_3,s_2|sys/saveas,o_eA')}`, 501, 'NotImplemented', /"blur"/],
  ])('refuses %s and saves nothing', async (_what, body, status, code, names) => {
    const before = oss.emulator.listObjects(BUCKET, '').length;
    const answer = await post(body);
    expect(answer).toMatchObject({ status, code });
    expect((answer as { message: string }).message).toMatch(names);
    expect(oss.emulator.listObjects(BUCKET, '').length).toBe(before);
    expect(oss.internalErrors).toEqual([]);
  });
});
