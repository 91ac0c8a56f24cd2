/**
 * WebP through the `@jsquash/webp` wasm codec, for the pure-JS engine (jimp writes no WebP of its own, and its
 * `@jimp/wasm-webp` loads the codec with `fetch(file://…)`, which fails under Node — see
 * shared/reference/toolchain.md). Each codec is compiled once per process from its `.wasm` file.
 *
 * Where the `.wasm` is: a deployed bundle carries it beside `index.js` (the build copies it there, see
 * `scripts/build/functions.ts`), so `__dirname` finds it; from sources and tests it is resolved in
 * node_modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as webpDecode from '@jsquash/webp/decode.js';
import type * as webpEncode from '@jsquash/webp/encode.js';
import type { RgbaBitmap } from './bitmap';

/** The codec files the engine loads; the build copies exactly these beside a bundle that contains the codec. */
export const WEBP_WASM = {
  // The SIMD build: Node ≥ 16 has wasm SIMD, and @jsquash's `init` picks the SIMD glue whenever it is available.
  encoder: '@jsquash/webp/codec/enc/webp_enc_simd.wasm',
  decoder: '@jsquash/webp/codec/dec/webp_dec.wasm',
} as const;

let encoderReady: Promise<typeof webpEncode> | undefined;
let decoderReady: Promise<typeof webpDecode> | undefined;

function wasmPath(packagePath: string): string {
  const beside = join(__dirname, packagePath.slice(packagePath.lastIndexOf('/') + 1));
  return existsSync(beside) ? beside : require.resolve(packagePath);
}

async function compile(packagePath: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(readFileSync(wasmPath(packagePath)));
}

// `locateFile` keeps the emscripten glue from computing a URL relative to `import.meta.url`, which a
// CommonJS bundle does not have; the module is instantiated from the compiled code anyway.
const glueOptions = { locateFile: (file: string) => file };

/** `init(module, overrides)`: the JS accepts a compiled module first, the shipped typings only the overrides. */
type CodecInit = (module: WebAssembly.Module, overrides: typeof glueOptions) => Promise<unknown>;

function encoder(): Promise<typeof webpEncode> {
  encoderReady ??= (async () => {
    const codec = await import('@jsquash/webp/encode.js');
    await (codec.init as unknown as CodecInit)(await compile(WEBP_WASM.encoder), glueOptions);
    return codec;
  })();
  return encoderReady;
}

function decoder(): Promise<typeof webpDecode> {
  decoderReady ??= (async () => {
    const codec = await import('@jsquash/webp/decode.js');
    await (codec.init as unknown as CodecInit)(await compile(WEBP_WASM.decoder), glueOptions);
    return codec;
  })();
  return decoderReady;
}

/** Encodes straight RGBA as WebP (lossy, with alpha when any pixel is not opaque). No metadata is written. */
export async function encodeWebp(bitmap: RgbaBitmap, quality: number): Promise<Buffer> {
  const codec = await encoder();
  const data = new Uint8ClampedArray(bitmap.data.buffer, bitmap.data.byteOffset, bitmap.width * bitmap.height * 4);
  const out = await codec.default({ data, width: bitmap.width, height: bitmap.height, colorSpace: 'srgb' } as ImageData, { quality });
  return Buffer.from(out);
}

/** Decodes a (still) WebP to straight RGBA. */
export async function decodeWebp(bytes: Buffer): Promise<RgbaBitmap> {
  const codec = await decoder();
  const image = await codec.default(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  return { data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length), width: image.width, height: image.height };
}
