import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUCKET_ROUTES, NOT_EMULATED_SUBRESOURCES, OBJECT_ROUTES } from '../../scripts/local/emulators/oss/routes';
import { S3_ONLY_SUBRESOURCES } from '../../scripts/local/emulators/oss/s3-compat';

/**
 * docs/fidelity.md's OSS section names every sub-resource of the emulator's operation table: the emulated ones in
 * an emulated or partly emulated row, the refused ones in a refused row. Adding a route or a refusal without
 * saying so in the doc fails here.
 */
const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'fidelity.md'), 'utf8');
const oss = doc.slice(doc.indexOf('### OSS\n'), doc.indexOf('### ', doc.indexOf('### OSS\n') + 8));
const rows = oss.split('\n').filter((line) => /^\| .+ \| (emulated|partly emulated|refused) \|/.test(line));
const statusOf = (row: string) => /\| (emulated|partly emulated|refused) \|/.exec(row)![1]!;

describe('docs/fidelity.md, OSS section', () => {
  it('has an operation table', () => {
    expect(rows.length).toBeGreaterThan(20);
  });

  it.each(Object.keys(NOT_EMULATED_SUBRESOURCES).map((name) => [name]))('lists ?%s as refused', (name) => {
    const mentions = rows.filter((row) => row.includes(`\`?${name}\``) || row.includes(`\`${name}\``));
    expect(mentions.map(statusOf)).toContain('refused');
  });

  it.each([...new Set([...Object.keys(BUCKET_ROUTES), ...Object.keys(OBJECT_ROUTES)])].filter(Boolean).map((name) => [name]))('lists ?%s as emulated or partly emulated', (name) => {
    const mentions = rows.filter((row) => row.includes(`?${name}`) || row.includes(`\`${name}\``));
    expect(mentions.map(statusOf).some((status) => status !== 'refused')).toBe(true);
  });

  it.each(Object.keys(S3_ONLY_SUBRESOURCES).map((name) => [name]))('lists the S3-only ?%s as refused', (name) => {
    const mentions = rows.filter((row) => row.includes(`\`?${name}\``));
    expect(mentions.map(statusOf)).toContain('refused');
  });
});
