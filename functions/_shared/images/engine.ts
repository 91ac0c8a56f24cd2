import * as z from 'zod';
import type { ImageEngine } from '../ports/image-engine';
import { parseWith } from '../validation';
import { JimpImageEngine } from './jimp-engine';
import { loadSharp, SharpImageEngine, type SharpModule } from './sharp-engine';

const envSchema = z.object({
  /** `sharp` (default) or `jimp`; unset means sharp, falling back to jimp when sharp's binary cannot load. */
  IMAGE_ENGINE: z.enum(['sharp', 'jimp']).optional(),
});

export interface ImageEngineDeps {
  /** How sharp is loaded; tests pass one that fails to exercise the fallback. */
  loadSharp?: () => Promise<SharpModule>;
}

/**
 * The image engine this process should use: `IMAGE_ENGINE=jimp` forces the pure-JS engine,
 * `IMAGE_ENGINE=sharp` requires sharp, and by default sharp is used when its native binary loads and jimp
 * when it does not (e.g. a bundle deployed without its `node_modules/sharp`). Check `engine.name` to log
 * which one runs.
 *
 * @example
 * ```ts
 * const engine = await imageEngineFromEnv(); // SharpImageEngine here, JimpImageEngine where sharp is missing
 * const thumb = await engine.thumbnail(bytes, { width: 256 });
 * ```
 */
export async function imageEngineFromEnv(env: NodeJS.ProcessEnv = process.env, deps: ImageEngineDeps = {}): Promise<ImageEngine> {
  const { IMAGE_ENGINE } = parseWith(envSchema, { IMAGE_ENGINE: env.IMAGE_ENGINE || undefined }, 'env');
  if (IMAGE_ENGINE === 'jimp') return new JimpImageEngine();
  const load = deps.loadSharp ?? loadSharp;
  try {
    return new SharpImageEngine(await load());
  } catch (err) {
    if (IMAGE_ENGINE === 'sharp') throw new Error(`IMAGE_ENGINE=sharp but sharp cannot load: ${(err as Error).message}`, { cause: err });
    return new JimpImageEngine();
  }
}
