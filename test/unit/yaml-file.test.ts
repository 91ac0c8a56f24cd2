import { writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { readYamlFile } from '../../scripts/local/spec/yaml-file';
import { tempDir } from '../helpers/temp';

describe('readYamlFile', () => {
  const dir = tempDir('yaml-file-');
  afterAll(() => dir.cleanup());

  it('reads what the yaml package reads, merge keys included, from a parse or from the cache alike', () => {
    const text = `base: &base { runtime: nodejs20, memorySize: 256 }\nfn:\n  <<: *base\n  memorySize: 512\nlist: [1, two, null, true]\n`;
    const file = dir.write('s.yaml', text);
    const expected = YAML.parse(text, { merge: true }) as unknown;
    expect(readYamlFile(file, { merge: true })).toEqual(expected);
    expect(readYamlFile(file, { merge: true })).toEqual(expected);
    expect(readYamlFile(file, { merge: true })).toEqual({ base: { runtime: 'nodejs20', memorySize: 256 }, fn: { runtime: 'nodejs20', memorySize: 512 }, list: [1, 'two', null, true] });
  });

  it('follows a change to the file, and parses without merge keys when asked', () => {
    const file = dir.write('t.yaml', 'a: 1\n');
    expect(readYamlFile(file)).toEqual({ a: 1 });
    writeFileSync(file, 'a: 2\nb: &x { c: 3 }\nd: { <<: *x }\n');
    expect(readYamlFile(file)).toEqual({ a: 2, b: { c: 3 }, d: { '<<': { c: 3 } } });
    expect(readYamlFile(file, { merge: true })).toEqual({ a: 2, b: { c: 3 }, d: { c: 3 } });
  });

  it('returns values JSON cannot hold exactly as parsed, every time', () => {
    const file = dir.write('inf.yaml', 'limit: .inf\nnot: .nan\n');
    for (let i = 0; i < 2; i++) expect(readYamlFile(file)).toEqual({ limit: Number.POSITIVE_INFINITY, not: Number.NaN });
  });

  it('fails on bad YAML as the parser does', () => {
    const file = dir.write('bad.yaml', 'a: [1, 2\n');
    expect(() => readYamlFile(file)).toThrow();
  });
});
