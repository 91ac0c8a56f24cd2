import { loadOneFunction } from '../helpers/one-function-spec';

/**
 * s.yaml's custom-runtime functions (D123): what the local cloud runs of `runtime: custom.*` and
 * `customRuntimeConfig`, and what it refuses by name (custom containers, the config on a nodejs function,
 * values outside FC's ranges, layers).
 */

/** One function with FC's `handler: index.handler` and these props. */
const load = (props: string) => loadOneFunction(`handler: index.handler\n${props}`);

describe('custom runtimes in s.yaml', () => {
  it('runs command + args in the code folder, /code meaning that folder, with FC defaults filled in', () => {
    const { spec, errors, dir } = load(`runtime: custom.debian12
instanceConcurrency: 10
customRuntimeConfig:
  command: [python3, /code/app.py]
  args: ['--port', '9000']
  healthCheckConfig: { httpGetUrl: /ready }`);
    expect(errors).toEqual([]);
    const fn = spec!.functions[0]!;
    expect(fn).toMatchObject({ runtime: 'custom.debian12', instanceConcurrency: 10 });
    expect(fn.customRuntime).toEqual({
      command: ['python3', `${dir}/code/app.py`],
      args: ['--port', '9000'],
      port: 9000,
      healthCheck: { httpGetUrl: '/ready', initialDelayMs: 0, periodMs: 3000, timeoutMs: 1000, failureThreshold: 3, successThreshold: 1 },
    });
  });

  it('starts /code/bootstrap when there is no customRuntimeConfig, as FC does', () => {
    const { spec, dir } = load('runtime: custom');
    expect(spec!.functions[0]!.customRuntime).toEqual({ command: [`${dir}/code/bootstrap`], args: [], port: 9000 });
  });

  it('leaves instanceConcurrency out of nodejs functions (FC serves one request per instance there)', () => {
    const { spec } = load('runtime: nodejs20\ninstanceConcurrency: 20');
    expect(spec!.functions[0]!.instanceConcurrency).toBeUndefined();
  });

  it.each([
    ['runtime: custom-container', 'resources.web.props.runtime: runtime "custom-container" is not emulated: custom containers need Docker'],
    ['runtime: java17', 'resources.web.props.runtime: runtime "java17" is not emulated'],
    ['runtime: nodejs20\ncustomRuntimeConfig: { command: [node] }', 'resources.web.props.customRuntimeConfig: applies to custom runtimes only'],
    ['runtime: custom.debian12\ncustomContainerConfig: { image: x }', 'resources.web.props.customContainerConfig'],
    ['runtime: custom.debian12\nlayers: [acs:fc:cn-hangzhou:official:layers/Nodejs20/versions/1]', 'resources.web.props.layers: not supported by the local cloud: layers are not emulated'],
    ['runtime: custom.debian12\ninstanceConcurrency: 201', 'resources.web.props.instanceConcurrency: must be an integer in 1..200'],
    ['runtime: custom.debian12\ncustomRuntimeConfig: { command: node }', 'resources.web.props.customRuntimeConfig.command: must be a list of strings'],
    ['runtime: custom.debian12\ncustomRuntimeConfig: { port: 70000 }', 'resources.web.props.customRuntimeConfig.port: must be an integer in 1..65535'],
    ['runtime: custom.debian12\ncustomRuntimeConfig: { healthCheckConfig: { periodSeconds: 1 } }', 'resources.web.props.customRuntimeConfig.healthCheckConfig.httpGetUrl: is required'],
    ['runtime: custom.debian12\ncustomRuntimeConfig: { healthCheckConfig: { httpGetUrl: /ready, timeoutSeconds: 5 } }', 'resources.web.props.customRuntimeConfig.healthCheckConfig.timeoutSeconds: must be an integer in 1..3'],
    ['runtime: custom.debian12\ncustomRuntimeConfig: { entrypoint: [x] }', 'resources.web.props.customRuntimeConfig.entrypoint'],
  ])('refuses %j by name', (props, message) => {
    const { errors } = load(props);
    expect(errors.join('\n')).toContain(message);
  });
});
