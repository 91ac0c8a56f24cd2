import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec } from '../../scripts/local/spec/load';
import { previewWithServerlessDevs, renderingDifferences } from '../../scripts/validate/checks';
import { tempDir } from '../helpers/temp';

/**
 * A `flow` resource in s.yaml, its definition included with `${yaml(file(...))}` and using `${vars.*}` and
 * `${config('AccountID')}`: Serverless Devs' own `s preview` renders it exactly as the local cloud's loader
 * does (the check `npm run validate` runs), so the definition the local cloud deploys is the one `s deploy`
 * sends to CloudFlow.
 */
const ROOT = join(__dirname, '..', '..');
const FLOW = `Type: StateMachine
Name: \${vars.prefix}-preview-flow
SpecVersion: v1
StartAt: Price
States:
  - Type: Task
    Name: Price
    Action: FC:InvokeFunction
    TaskMode: RequestComplete
    Parameters:
      resourceArn: acs:fc:\${vars.region}:\${config('AccountID')}:functions/\${vars.prefix}-product-price/LATEST
      invocationType: Sync
      body:
        productId.$: $Input.productId
    End: true
`;

describe('s preview and the local cloud render a flow resource alike', () => {
  const dir = tempDir('flow-preview-');
  afterAll(() => dir.cleanup());

  it('agree on every field, and the local cloud accepts the flow', async () => {
    const root = join(dir.path, 'app');
    mkdirSync(join(root, 'flows'), { recursive: true });
    copyFileSync(join(ROOT, 's.yaml'), join(root, 's.yaml'));
    for (const entry of readdirSync(ROOT)) if (entry !== 's.yaml' && entry !== 'flows' && !entry.startsWith('.')) symlinkSync(join(ROOT, entry), join(root, entry));
    // The app's own flows stay (s.yaml reads them); the preview flow joins them.
    for (const file of readdirSync(join(ROOT, 'flows'))) if (file.endsWith('.yaml')) copyFileSync(join(ROOT, 'flows', file), join(root, 'flows', file));
    writeFileSync(join(root, 'flows', 'preview.yaml'), FLOW);
    appendFileSync(
      join(root, 's.yaml'),
      [
        '  preview-flow:',
        '    component: flow',
        '    props:',
        '      region: ${vars.region}',
        '      name: ${vars.prefix}-preview-flow',
        '      description: rendered by s preview and the local cloud',
        "      definition: ${yaml(file('./flows/preview.yaml'))}",
        "      roleArn: acs:ram::${config('AccountID')}:role/${vars.prefix}-flow-role",
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, CI: 'true' };
    const preview = await previewWithServerlessDevs(root, env);
    const spec = loadSpec(join(root, 's.yaml'), env);
    expect(renderingDifferences(preview, spec)).toEqual([]);
    const flow = spec.flows.find((f) => f.resource === 'preview-flow')!;
    expect(JSON.parse(flow.definition)).toMatchObject({ Name: 'fcsuite-dev-preview-flow', States: [{ Parameters: { resourceArn: 'acs:fc:cn-hangzhou:1000000000000001:functions/fcsuite-dev-product-price/LATEST' } }] });
    expect(preview.resources['preview-flow']).toMatchObject({ component: 'flow', props: { definition: { Name: 'fcsuite-dev-preview-flow' } } });
  });
});
