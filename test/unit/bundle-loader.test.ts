import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBundle } from '../../scripts/local/runtime/bundle-loader';
import { tempDir } from '../helpers/temp';

/** How function instances load their bundle (D30): `require` semantics, with a V8 code cache. */
describe('loadBundle', () => {
  const dir = tempDir('bundle-loader-');
  afterAll(() => dir.cleanup());
  const cacheDir = join(dir.path, 'cache');
  const phaseOf = () => {
    const [file] = readdirSync(cacheDir).filter((f) => f.endsWith('.bin'));
    const bytes = readFileSync(join(cacheDir, file!));
    return (JSON.parse(bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString('utf8')) as { phase: string }).phase;
  };

  it('runs the bundle as require would, and keeps its compiled code for the next instance', () => {
    const file = dir.write('app/index.js', "const { join } = require('node:path'); exports.handler = () => join('a', 'b'); exports.file = __filename; exports.self = module.exports === exports;");
    dir.write('app/node_modules/helper/index.js', 'module.exports = 42;');
    writeFileSync(file, `${readFileSync(file, 'utf8')} exports.helper = require('helper');`);
    const first = loadBundle(file, cacheDir);
    expect(first.exports).toMatchObject({ file, self: true, helper: 42 });
    expect((first.exports.handler as () => string)()).toBe('a/b');
    expect(phaseOf()).toBe('loaded');
    first.saveCodeCache();
    expect(phaseOf()).toBe('invoked');
    const second = loadBundle(file, cacheDir);
    expect((second.exports.handler as () => string)()).toBe('a/b');
  });

  it('leaves a bundle with a dynamic import() to require, so the import still works once a cache could exist', async () => {
    const file = dir.write('dyn/index.js', "exports.load = () => import('node:path').then((m) => typeof m.join);");
    for (let i = 0; i < 2; i++) {
      const loaded = loadBundle(file, cacheDir);
      loaded.saveCodeCache();
      await expect((loaded.exports.load as () => Promise<string>)()).resolves.toBe('function');
    }
  });

  it('reads an ASCII bundle and a UTF-8 one as the same text (ASCII is read as Latin-1, D118)', () => {
    const text = 'é — 默认';
    const escaped = dir.write('ascii/index.js', "exports.text = '\\u00e9 \\u2014 \\u9ed8\\u8ba4';");
    const utf8 = dir.write('utf8/index.js', `exports.text = '${text}';`);
    for (let i = 0; i < 2; i++) {
      expect(loadBundle(escaped, cacheDir).exports.text).toBe(text);
      expect(loadBundle(utf8, cacheDir).exports.text).toBe(text);
    }
  });

  it('uses no cache for a file changed since (the cache names its size, mtime and inode)', () => {
    const file = dir.write('changing/index.js', 'exports.v = 1;');
    loadBundle(file, cacheDir).saveCodeCache();
    writeFileSync(file, 'exports.v = 22;');
    expect(loadBundle(file, cacheDir).exports.v).toBe(22);
  });
});
