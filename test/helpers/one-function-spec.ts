import { SpecErrors } from '../../scripts/local/spec/errors';
import { loadSpec } from '../../scripts/local/spec/load';
import type { AppSpec } from '../../scripts/local/spec/model';
import { tempDir } from './temp';

/** An s.yaml with one fc3 function `web` (`t-web`, code `./code`) and `props` added to its props, one per line. */
function oneFunctionYaml(props: string): string {
  return `edition: 3.0.0
name: t
resources:
  web:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: t-web
      code: ./code
${props
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
`;
}

/**
 * Loads that s.yaml from a temporary folder holding `files` too: the spec, or the spec errors' messages; `inspect`
 * sees the spec before the folder is removed. `dir` is the folder's path (gone by then).
 * @example const { errors } = loadOneFunction('runtime: java17\nhandler: index.handler');
 */
export function loadOneFunction<T = undefined>(props: string, files: Record<string, string> = {}, inspect?: (spec: AppSpec) => T): { spec?: AppSpec; errors: string[]; dir: string; inspected?: T } {
  const dir = tempDir();
  try {
    for (const [name, text] of Object.entries(files)) dir.write(name, text);
    const spec = loadSpec(dir.write('s.yaml', oneFunctionYaml(props)), {});
    return { spec, errors: [], dir: dir.path, ...(inspect ? { inspected: inspect(spec) } : {}) };
  } catch (err) {
    if (err instanceof SpecErrors) return { errors: err.errors.map((e) => e.message), dir: dir.path };
    throw err;
  } finally {
    dir.cleanup();
  }
}
