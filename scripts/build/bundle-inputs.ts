import type { Metafile } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { AppSpec, FunctionSpec } from '../local/spec/model';
import { writeFileAtomically } from '../local/write-file-atomically';

/**
 * Which project files each function bundle was last built from (esbuild's metafile), kept beside the bundles so
 * hot reload rebuilds only the bundles a saved file is part of (D169). Files under `node_modules/` are left out:
 * hot reload does not watch them (a changed lockfile rebuilds every bundle), and they are most of the list.
 */
const INPUTS = join('dist', '.functions-inputs.json');

interface InputsFile {
  /** Per function (s.yaml resource): its bundle's inputs, relative to the project folder with `/`. */
  functions?: Record<string, string[]>;
}

export function readBundleInputs(spec: AppSpec): Record<string, string[]> {
  try {
    return (JSON.parse(readFileSync(join(spec.baseDir, INPUTS), 'utf8')) as InputsFile).functions ?? {};
  } catch {
    return {};
  }
}

/** The inputs of each of `functions`' bundles in `metafile`, by resource (the functions the metafile has no bundle of are left out). */
export function bundleInputsOf(spec: AppSpec, functions: readonly FunctionSpec[], metafile: Metafile): Record<string, string[]> {
  const inputs: Record<string, string[]> = {};
  for (const fn of functions) {
    const output = metafile.outputs[relative(spec.baseDir, join(fn.codeDir, 'index.js')).split('\\').join('/')];
    if (output) inputs[fn.resource] = Object.keys(output.inputs).filter((input) => !input.split('/').includes('node_modules')).sort();
  }
  return inputs;
}

/**
 * Records the inputs of `functions`' bundles (merged with the others'). Written atomically; two builds at once may
 * drop each other's entries, which only costs the next hot reload of those functions a rebuild of every bundle.
 */
export function recordBundleInputs(spec: AppSpec, functions: readonly FunctionSpec[], metafile: Metafile): void {
  const file = join(spec.baseDir, INPUTS);
  const all = { ...readBundleInputs(spec), ...bundleInputsOf(spec, functions, metafile) };
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomically(file, `${JSON.stringify({ functions: all })}\n`);
}

/**
 * The functions whose bundle includes one of `changed` (project-relative paths with `/`; a folder counts for
 * everything under it), and those whose inputs are not known (built before inputs were recorded): they may.
 */
export function functionsAffectedBy(functions: readonly FunctionSpec[], inputs: Record<string, string[]>, changed: Iterable<string>): FunctionSpec[] {
  const paths = [...changed];
  return functions.filter((fn) => {
    const own = inputs[fn.resource];
    if (!own) return true;
    return own.some((input) => paths.some((path) => input === path || input.startsWith(`${path}/`)));
  });
}
