import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { SpecError } from './errors';
import type YAMLModule from 'yaml';
import { LOCAL_CACHE_DIR } from '../paths';
import { writeFileAtomically } from '../write-file-atomically';

/**
 * Parses a YAML file (with `<<` merge keys, as `s` reads s.yaml) and remembers the result as JSON, keyed by
 * the text's hash: parsing s.yaml and the ROS template with the `yaml` package took ~50–90 ms of each
 * `npm start` (D32), reading the JSON takes ~1 ms. A document JSON cannot hold exactly (non-finite numbers,
 * binary, dates) is simply not cached. Anchors become copies, which is how the spec uses them (it renders
 * into new objects and never mutates what it read).
 */
const CACHE_DIR = join(LOCAL_CACHE_DIR, 'yaml');

export function readYamlFile(file: string, options: { merge?: boolean; shownAs?: string } = {}): unknown {
  const shown = options.shownAs ?? shownName(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecError('', (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message, undefined, shown);
  }
  try {
    // Functions share settings through anchors (decision D4); a suite of dozens of functions resolves more
    // aliases than the library's guard against alias bombs (100) allows, and these are the project's own files.
    return parseYamlText(text, { merge: options.merge ?? false, maxAliasCount: 10_000 });
  } catch (err) {
    throw syntaxError(shown, err);
  }
}

/**
 * The `yaml` package's parse error as a spec problem: the file, line and column, the reason, and its excerpt of the
 * lines around it. Thrown as it was, `npm start` printed the parser's stack from inside the start script.
 */
function syntaxError(shown: string, err: unknown): unknown {
  const error = err as Error & { linePos?: { line: number; col: number }[] };
  if (!(error instanceof Error) || !error.name.startsWith('YAML')) return err;
  const at = error.linePos?.[0];
  const [reason = error.message, excerpt = ''] = error.message.split(/ at line \d+, column \d+:\n/);
  const lines = excerpt.replace(/\n+$/, '').split('\n').filter((line, i) => i > 0 || line.trim());
  return new SpecError(at ? `line ${at.line}, column ${at.col}` : '', `${reason} (YAML syntax)${lines.length > 0 ? `\n${lines.map((l) => `    ${l}`).join('\n')}` : ''}`, undefined, shown);
}

/** A file as a user would type it from the repository: relative when inside the current folder. */
function shownName(file: string): string {
  const path = relative(process.cwd(), file);
  return path && !path.startsWith('..') && !isAbsolute(path) ? path : file;
}

/**
 * `YAML.parse(text, options)` through the same cache: the flow definitions s.yaml names are parsed at every
 * start, twice (the spec check and the FnF emulator's deploy), and took ~60 ms of it (D61).
 */
export function parseYamlText(text: string, options: { merge?: boolean; maxAliasCount?: number } = {}): unknown {
  const aliases = options.maxAliasCount === undefined ? '' : ` ${options.maxAliasCount}`;
  // The key of s.yaml's entry (merge, 10 000 aliases) is what it was before texts were parsed here too.
  const mode = `${options.merge ? 'merge' : 'plain'}${aliases === ' 10000' ? '' : aliases || ' default'}`;
  const key = createHash('sha1').update(`${mode}\n${text}`).digest('hex');
  const cached = join(CACHE_DIR, `${key}.json`);
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as unknown;
  } catch {
    // not cached yet (or unreadable): parse below
  }
  // Loaded only on a miss: the parser is most of what would otherwise load at every start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const YAML = require('yaml') as typeof YAMLModule;
  const parsed: unknown = YAML.parse(text, { merge: options.merge ?? false, ...(options.maxAliasCount !== undefined ? { maxAliasCount: options.maxAliasCount } : {}) });
  if (isJsonSafe(parsed)) {
    try {
      mkdirSync(CACHE_DIR, { recursive: true });
      writeFileAtomically(cached, JSON.stringify(parsed));
    } catch {
      // a cache is an optimisation: a read-only folder only costs the next start a parse
    }
  }
  return parsed;
}

/** Plain data JSON round-trips unchanged: objects, arrays, strings, finite numbers, booleans, null. */
function isJsonSafe(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonSafe);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as Record<string, unknown>).every(isJsonSafe);
  return false;
}
