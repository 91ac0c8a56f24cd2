import { renderValue, type RenderScope } from '../../scripts/local/spec/variables';
import { tempDir } from '../helpers/temp';

function scope(extra: Partial<RenderScope> = {}): RenderScope {
  return { baseDir: '/tmp', env: {}, vars: { region: 'cn-hangzhou', prefix: 'app' }, config: { AccountID: '42' }, resources: {}, path: 'x', ...extra };
}

describe('Serverless Devs variables', () => {
  it('interpolates vars, env with defaults and config()', () => {
    expect(renderValue("${vars.prefix}-${env('STAGE', 'dev')}-${config('AccountID')}", scope())).toBe('app-dev-42');
    expect(renderValue("${env('STAGE', 'dev')}", scope({ env: { STAGE: 'prod' } }))).toBe('prod');
  });

  it('keeps the type of a whole-string expression', () => {
    expect(renderValue('${vars.region}', scope({ vars: { region: { a: 1 } } }))).toEqual({ a: 1 });
  });

  it('includes YAML files, rendering variables inside them', () => {
    const dir = tempDir();
    try {
      dir.write('flow.yaml', 'Name: ${vars.prefix}-flow\nStates: [1, 2]\n');
      expect(renderValue("${yaml(file('./flow.yaml'))}", scope({ baseDir: dir.path }))).toEqual({ Name: 'app-flow', States: [1, 2] });
    } finally {
      dir.cleanup();
    }
  });

  it('resolves another resource’s props, rendered in that resource’s scope', () => {
    const resources = { other: { props: { functionName: '${vars.prefix}-other' } } };
    expect(renderValue('${resources.other.props.functionName}', scope({ resources }))).toBe('app-other');
  });

  it('names the key path when a variable is missing', () => {
    expect(() => renderValue('${vars.nope}', scope({ path: 'resources.f.props.description' }))).toThrow(/resources\.f\.props\.description: \$\{vars\.nope\}: "nope" is not defined/);
    expect(() => renderValue("${env('NOPE')}", scope())).toThrow(/NOPE is not set and has no default/);
  });
});
