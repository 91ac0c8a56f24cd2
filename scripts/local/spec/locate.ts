import { readFileSync } from 'node:fs';
import type YAMLModule from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { SpecError } from './errors';

/**
 * Gives each problem the line of s.yaml its key path leads to (`resources.my-fn.props.memorySzie` → the line of
 * `memorySzie:`), so an editor jumps there: `s.yaml:105`. A key merged from an anchor (`<<: *nodeFunction`) is found
 * where the anchor declares it. Only on the error path: the start reads s.yaml from a JSON cache without positions.
 */
export function locateProblems(file: string, errors: SpecError[], shownAs = 's.yaml'): SpecError[] {
  let doc: Document;
  let lineOf: (offset: number) => number;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const YAML = require('yaml') as typeof YAMLModule;
    const counter = new YAML.LineCounter();
    doc = YAML.parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter, merge: true });
    lineOf = (offset) => counter.linePos(offset).line;
    for (const error of errors) {
      if (error.file !== shownAs || error.line !== undefined || !error.keyPath) continue;
      const offset = offsetOf(YAML, doc, error.keyPath);
      if (offset !== undefined) error.line = lineOf(offset);
    }
  } catch {
    // a line number is a convenience: the key path alone still names the problem
  }
  return errors;
}

/** Where the deepest key of `keyPath` that the document holds begins. */
function offsetOf(YAML: typeof YAMLModule, doc: Document, keyPath: string): number | undefined {
  const segments = [...keyPath.matchAll(/([^.[\]<>]+)|\[(\d+)\]/g)].map((m) => m[2] ?? m[1]!);
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const segment of segments) {
    const found = child(YAML, doc, node, segment);
    if (!found) break;
    offset = found.offset ?? offset;
    node = found.node;
  }
  return offset;
}

function child(YAML: typeof YAMLModule, doc: Document, node: unknown, segment: string): { node: unknown; offset: number | undefined } | undefined {
  const target = YAML.isAlias(node) ? node.resolve(doc) : node;
  if (YAML.isSeq(target) && /^\d+$/.test(segment)) {
    const item = target.items[Number(segment)] as YamlNode | undefined;
    return item ? { node: item, offset: item.range?.[0] } : undefined;
  }
  if (!YAML.isMap(target)) return undefined;
  for (const pair of target.items) {
    if (YAML.isScalar(pair.key) && typeof pair.key.value !== 'symbol' && String(pair.key.value) === segment) return { node: pair.value, offset: pair.key.range?.[0] };
  }
  // A key merged in with `<<: *anchor` (or a list of them) lives in the anchored map.
  for (const pair of target.items) {
    // With `merge: true` the parser keys a merge by a symbol whose source text is `<<`.
    if (!YAML.isScalar(pair.key) || (pair.key.source ?? String(pair.key.value)) !== '<<') continue;
    const sources = YAML.isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const source of sources) {
      const found = child(YAML, doc, source, segment);
      if (found) return found;
    }
  }
  return undefined;
}
