import { unrunnableFunctions } from '../../scripts/build/functions';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { hostPythonNote, pythonLaunch } from '../../scripts/local/runtime/python-runtime';
import type { FunctionContext } from '../../scripts/local/runtime/protocol';
import { loadOneFunction } from '../helpers/one-function-spec';

/**
 * s.yaml's Python functions (D131): the runtimes FC 3.0 offers are accepted and run on the host's python3; a code
 * folder without the handler's module is named before anything starts; a machine without python3 gets an error that
 * names it; the function's log says whose Python runs it.
 */

/** One function with these props and files, and what `unrunnableFunctions` says of it. */
function load(props: string, files: Record<string, string> = {}): { spec?: AppSpec; errors: string[]; unrunnable: string[] } {
  const { spec, errors, inspected } = loadOneFunction(props, files, (loaded) => unrunnableFunctions(loaded).map((u) => `${u.problem} (${u.hint})`));
  return { ...(spec ? { spec } : {}), errors, unrunnable: inspected ?? [] };
}

const context: FunctionContext = {
  credentials: { accessKeyId: 'id', accessKeySecret: 'secret', securityToken: 'token' },
  function: { name: 't-web', handler: 'index.handler', memory: 512, timeout: 3 },
  service: { logProject: 'p', logStore: 's', qualifier: 'LATEST' },
  region: 'cn-hangzhou',
  accountId: '1',
};

describe('python runtimes in s.yaml', () => {
  it.each(['python3.12', 'python3.10', 'python3.9', 'python3'])('accepts runtime %s with <file>.<function> handlers', (runtime) => {
    const { spec, errors, unrunnable } = load(`runtime: ${runtime}\nhandler: index.handler\ninstanceConcurrency: 10`, { 'code/index.py': 'def handler(event, context):\n    return event\n' });
    expect(errors).toEqual([]);
    expect(unrunnable).toEqual([]);
    // Built-in runtimes serve one request per instance: FC ignores instanceConcurrency there.
    expect(spec!.functions[0]).toMatchObject({ runtime });
    expect(spec!.functions[0]!.instanceConcurrency).toBeUndefined();
    expect(spec!.functions[0]!.customRuntime).toBeUndefined();
  });

  it('finds a handler module in a subfolder or as a package', () => {
    expect(load('runtime: python3.10\nhandler: src/app.main', { 'code/src/app.py': '' }).unrunnable).toEqual([]);
    expect(load('runtime: python3.10\nhandler: app.main', { 'code/app/__init__.py': '' }).unrunnable).toEqual([]);
  });

  it('names a code folder without the handler\'s module before anything starts', () => {
    const { unrunnable } = load('runtime: python3.10\nhandler: main.handler', { 'code/index.py': '' });
    expect(unrunnable).toEqual(['nothing to run: no main.py in code for handler main.handler (put def handler(event, context) in code/main.py)']);
  });

  it('refuses layers with what to do for Python instead, and FC 2.0\'s preFreeze hook by name (D139)', () => {
    const layers = load('runtime: python3.10\nhandler: index.handler\nlayers: [acs:fc:cn-hangzhou:official:layers/Python310/versions/1]').errors.join('\n');
    expect(layers).toContain('resources.web.props.layers: not supported by the local cloud: layers are not emulated');
    expect(layers).toContain('Python: pip install -t into the code folder');
    const preFreeze = load('runtime: python3.10\nhandler: index.handler\ninstanceLifecycleConfig: { preFreeze: { handler: index.pre_freeze } }').errors.join('\n');
    expect(preFreeze).toContain('resources.web.props.instanceLifecycleConfig.preFreeze: not supported by the local cloud: FC 3.0 has no PreFreeze hook');
  });

  it('refuses customRuntimeConfig on a Python function by name', () => {
    const { errors } = load('runtime: python3.10\nhandler: index.handler\ncustomRuntimeConfig: { command: [python3] }');
    expect(errors.join('\n')).toContain('resources.web.props.customRuntimeConfig: applies to custom runtimes only');
  });
});

describe('the host python3', () => {
  const fn = (runtime: FunctionSpec['runtime']) => ({ name: 't-web', runtime }) as FunctionSpec;

  it('fails the instance with an error naming python3 and how to install it when the PATH has none', async () => {
    const logged: string[] = [];
    const failure = await pythonLaunch(fn('python3.10'), context, { PATH: '/nonexistent' }, (text) => logged.push(text)).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure?.name).toBe('FunctionNotStarted');
    expect(failure?.message).toContain("runtime python3.10 runs on this machine's python3 (the local cloud does not use FC's image): no python3 was found on the PATH (/nonexistent)");
    expect(failure?.message).toContain('apt-get install python3');
    expect(logged.join('')).toContain('no python3 was found');
  });

  it('says in the function\'s log whose Python runs it, and when the versions differ', () => {
    expect(hostPythonNote(fn('python3.10'), { executable: '/usr/bin/python3', version: '3.11.2' })).toContain(
      "t-web (runtime python3.10) runs on this machine's Python 3.11.2 (/usr/bin/python3), not in FC's Python 3.10 image — the versions differ",
    );
    expect(hostPythonNote(fn('python3.12'), { executable: '/usr/bin/python3', version: '3.12.1' })).not.toContain('differ');
    expect(hostPythonNote(fn('python3'), { executable: '/usr/bin/python3', version: '3.11.2' })).toContain("FC's Python 3.6 image");
  });
});
