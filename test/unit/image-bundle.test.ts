/**
 * The image engine works from a deployed bundle: esbuild output plus what `copyNativePackages` ships
 * (sharp's package tree, the WebP wasm), run in a fresh Node process from a folder with no node_modules
 * above it — as on FC, where nothing but the code folder exists.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import sharp from 'sharp';
import { bundleOptions, copyNativePackages } from '../../scripts/build/functions';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { quadrantJpeg } from '../helpers/image-fixtures';
import { tempDir } from '../helpers/temp';

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..');

interface SmokeResult {
  engine: string;
  width: number;
  height: number;
  webp: string;
  sharpFrom?: string;
}

describe('image engine in a deployed bundle', () => {
  const dir = tempDir('fcsuite-image-bundle-');
  const deployed = join(dir.path, 'deployed');
  const input = join(dir.path, 'photo.jpg');
  let shipped: { packages: string[]; wasm: string[] };

  beforeAll(async () => {
    for (let up = dir.path; dirname(up) !== up; up = dirname(up)) expect(existsSync(join(up, 'node_modules'))).toBe(false);
    // A function that uses the engine the way make-thumbnail does (its folder name is deliberately unknown to the build).
    dir.write(
      'functions/image-smoke/handler.ts',
      [
        `import { imageEngineFromEnv } from ${JSON.stringify(join(REPO, 'functions/_shared/images/engine'))};`,
        'export const handler = async (event: Buffer) => {',
        '  const engine = await imageEngineFromEnv();',
        "  const thumb = await engine.thumbnail(event, { width: 128, watermark: 'FC EVENT SUITE' });",
        "  return JSON.stringify({ engine: engine.name, width: thumb.width, height: thumb.height, webp: thumb.body.toString('base64') });",
        '};',
      ].join('\n'),
    );
    const fn = { resource: 'image-smoke', codeDir: join(dir.path, 'dist', 'image-smoke'), handler: 'index.handler' } as FunctionSpec;
    const spec = { baseDir: dir.path, functions: [fn] } as unknown as AppSpec;
    const result = await build(bundleOptions(spec, [fn]));
    shipped = copyNativePackages(spec, [fn], result.metafile!).get('image-smoke')!;
    cpSync(fn.codeDir, deployed, { recursive: true });
    writeFileSync(input, await quadrantJpeg(400, 300, 6));
  });

  afterAll(() => dir.cleanup());

  async function invoke(env: Record<string, string>): Promise<SmokeResult> {
    // Also reports where sharp's JS was loaded from, if it was.
    const script = [
      `require('./index.js').handler(require('fs').readFileSync(${JSON.stringify(input)})).then(`,
      "  (out) => process.stdout.write(JSON.stringify({ ...JSON.parse(out), sharpFrom: Object.keys(require.cache).find((file) => file.includes('/node_modules/sharp/')) })),",
      '  (err) => { console.error(err); process.exit(1); });',
    ].join('\n');
    const { PATH, HOME } = process.env;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: deployed, env: { PATH, HOME, LOG_LEVEL: 'silent', ...env }, maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as SmokeResult;
  }

  async function expectUprightWebp(result: SmokeResult): Promise<void> {
    expect([result.width, result.height]).toEqual([128, 171]);
    const meta = await sharp(Buffer.from(result.webp, 'base64')).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 128, height: 171 });
  }

  it('ships sharp with its runtime dependencies and the WebP codecs, found from the bundle', () => {
    expect(shipped.packages).toEqual(expect.arrayContaining(['sharp', 'detect-libc', 'semver', `@img/sharp-${process.platform}-${process.arch}`]));
    expect(shipped.wasm).toEqual(expect.arrayContaining(['webp_enc_simd.wasm', 'webp_dec.wasm']));
    expect(existsSync(join(deployed, 'node_modules', 'sharp', 'package.json'))).toBe(true);
    expect(existsSync(join(deployed, 'webp_enc_simd.wasm'))).toBe(true);
  });

  it('makes a WebP with sharp loaded from the bundle folder', async () => {
    const result = await invoke({ IMAGE_ENGINE: 'sharp' });
    expect(result.engine).toBe('sharp');
    expect(result.sharpFrom?.startsWith(join(deployed, 'node_modules', 'sharp'))).toBe(true);
    await expectUprightWebp(result);
  });

  it('makes a WebP with jimp and the wasm codec beside index.js', async () => {
    const result = await invoke({ IMAGE_ENGINE: 'jimp' });
    expect(result.engine).toBe('jimp');
    await expectUprightWebp(result);
  });

  it('falls back to jimp when the bundle has no sharp to load', async () => {
    rmSync(join(deployed, 'node_modules'), { recursive: true, force: true });
    const result = await invoke({});
    expect(result.engine).toBe('jimp');
    expect(result.sharpFrom).toBeUndefined();
    await expectUprightWebp(result);
  });
});
