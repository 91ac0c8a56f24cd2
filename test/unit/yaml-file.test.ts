import { writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/local/paths';
import { parseDefinitionText, rememberDefinitionText } from '../../scripts/local/flow-engine/definition';
import { loadSpec } from '../../scripts/local/spec/load';
import { parseYamlText, readYamlFile } from '../../scripts/local/spec/yaml-file';
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

describe('parseYamlText and the flow definitions s.yaml names', () => {
  it('keeps the alias guard of the options it is given (a cached parse with a higher limit is not reused)', () => {
    const aliases = Array.from({ length: 150 }, (_, i) => `k${i}: *a`).join('\n');
    const text = `base: &a { x: 1 }\n${aliases}\n`;
    expect((parseYamlText(text, { maxAliasCount: 10_000 }) as Record<string, unknown>).k149).toEqual({ x: 1 });
    expect(() => parseYamlText(text, { maxAliasCount: 100 })).toThrow();
  });

  it('a definition remembered by its text parses to a copy of it; any other text is parsed', () => {
    const text = `Type: StateMachine\nName: remembered-${process.pid}\nSpecVersion: v1\nStartAt: a\nStates: []\n`;
    const parsed = parseYamlText(text, { merge: true }) as Record<string, unknown>;
    rememberDefinitionText(text, parsed);
    const first = parseDefinitionText(text) as Record<string, unknown>;
    expect(first).toEqual(YAML.parse(text));
    expect(first).not.toBe(parsed);
    first.Name = 'changed';
    expect((parseDefinitionText(text) as Record<string, unknown>).Name).toBe(`remembered-${process.pid}`);
    expect(parseDefinitionText('Name: other\n')).toEqual({ Name: 'other' });
  });

  it('loadSpec remembers the definitions of its flows, so compiling them does not parse them again', () => {
    const spec = loadSpec(join(REPO_ROOT, 's.yaml'));
    expect(spec.flows.length).toBeGreaterThan(0);
    const parse = jest.spyOn(YAML, 'parse');
    try {
      for (const flow of spec.flows) expect(parseDefinitionText(flow.definition)).toEqual(YAML.parse(flow.definition, { merge: true }));
      // Only the test's own parses above: none from parseDefinitionText.
      expect(parse).toHaveBeenCalledTimes(spec.flows.length);
    } finally {
      parse.mockRestore();
    }
  });
});
