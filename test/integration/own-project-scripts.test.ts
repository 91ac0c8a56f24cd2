import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/local/paths';
import { tempDir } from '../helpers/temp';

/**
 * `npm run validate`, `build` and `deploy` with `-t <file>` (D160), as `npm start -- -t <file>` runs a project of the
 * user's own (D154): each script works on that yaml — its ROS template, its code folders, its own sources — and
 * `deploy` ends in `s deploy -t <file>`. Run as npm runs them: from this repository, the command typed in INIT_CWD.
 */
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

/** A project with a TypeScript source to bundle: functions/greet/handler.ts → dist/greet/index.js, as this repository lays it out. */
const GREET = `edition: 3.0.0
name: greet-project
access: greeting-account
vars:
  region: cn-hangzhou
resources:
  greet:
    component: fc3
    props:
      region: \${vars.region}
      functionName: greet
      runtime: nodejs20
      handler: index.handler
      code: ./dist/greet
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig:
            authType: anonymous
            methods: [GET]
`;

/** A project of its own with an MNS queue (and its dead-letter queue) and topic, an mns_topic and an eventbridge trigger. */
const MQ_TEMPLATE = `ROSTemplateFormatVersion: '2015-09-01'
Resources:
  Jobs:
    Type: ALIYUN::MNS::Queue
    Properties:
      QueueName: my-jobs
      DlqPolicy: { Enabled: true, DeadLetterTargetQueue: my-jobs-dlq, MaxReceiveCount: 2 }
  JobsDlq:
    Type: ALIYUN::MNS::Queue
    Properties: { QueueName: my-jobs-dlq }
  Events:
    Type: ALIYUN::MNS::Topic
    Properties: { TopicName: my-events }
`;
const MQ_PROJECT = `edition: 3.0.0
name: my-mq
vars:
  region: cn-hangzhou
resources:
  mq:
    component: ros
    props:
      region: \${vars.region}
      name: my-mq
      template: ./ros/mq.yaml
  on-topic:
    component: fc3
    props:
      region: \${vars.region}
      functionName: my-on-topic
      runtime: nodejs20
      handler: index.handler
      code: ./code/on-topic
      triggers:
        - triggerName: events
          triggerType: mns_topic
          sourceArn: acs:mns:\${vars.region}:\${config('AccountID')}:/topics/my-events
          invocationRole: acs:ram::\${config('AccountID')}:role/aliyunmnsnotificationrole
          triggerConfig:
            notifyContentFormat: JSON
            notifyStrategy: BACKOFF_RETRY
  on-queue:
    component: fc3
    props:
      region: \${vars.region}
      functionName: my-on-queue
      runtime: nodejs20
      handler: index.handler
      code: ./code/on-queue
      triggers:
        - triggerName: jobs
          triggerType: eventbridge
          triggerConfig:
            triggerEnable: true
            asyncInvocationType: false
            eventSourceConfig:
              eventSourceType: MNS
              eventSourceParameters:
                sourceMNSParameters: { QueueName: my-jobs, IsBase64Decode: true }
            runOptions:
              mode: event-streaming
              batchWindow: { CountBasedWindow: 4, TimeBasedWindow: 2 }
              maximumTasks: 1
`;

/** `s deploy` stood in for (every other `s` command runs): records its arguments and folder, deploys nothing. */
const FAKE_S_DEPLOY = `
if (/serverless-devs[\\\\/]s[\\\\/]bin[\\\\/]s$|[\\\\/]\\.bin[\\\\/]s$/.test(process.argv[1] || '') && process.argv[2] === 'deploy') {
  require('node:fs').appendFileSync(process.env.FAKE_S_LOG, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }) + '\\n');
  process.exit(0);
}
`;

describe('validate, build and deploy -- -t <file>: a project of your own', () => {
  const dir = tempDir('own-project-scripts-');
  afterAll(() => dir.cleanup());
  const home = join(dir.path, 'home');
  dir.write('home/.keep', '');
  dir.write('greet/s.yaml', GREET);
  dir.write('greet/functions/greet/handler.ts', "export const handler = async (): Promise<string> => 'hello from greet';\n");
  const noKeys = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AccessKey|AccountID|ALIBABA_CLOUD_|npm_config_template)/.test(key)));

  const script = (name: string, args: string[], env: NodeJS.ProcessEnv = {}, initCwd = dir.path) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', name), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...noKeys, HOME: home, INIT_CWD: initCwd, NO_COLOR: '1', ...env },
      timeout: 120_000,
    });

  it('build bundles the project\'s own functions/<resource>/handler.ts into its dist/, not this repository\'s', () => {
    const result = script('build.ts', ['-t', 'greet/s.yaml']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('dist/greet/index.js');
    expect(result.stdout).toMatch(/built 1 functions in \d+ ms, no website/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(join(dir.path, 'greet', 'dist', 'greet', 'index.js')) as { handler(): Promise<string> };
    return expect(bundle.handler()).resolves.toBe('hello from greet');
  }, 120_000);

  it('validate checks the project: s preview and the local loader agree, its bundle exports its handler', () => {
    const result = script('validate.ts', ['--template', 'greet']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('✓ s preview rendered 1 resources offline');
    expect(result.stdout).toContain(`✓ ${join(dir.path, 'greet', 's.yaml')} is valid`);
    expect(result.status).toBe(0);
  }, 120_000);

  it('validate passes the own-project fixture of npm start -- -t, listing the role only the account can show', () => {
    const result = script('validate.ts', ['-t', 'own-project/s.yaml'], {}, FIXTURES);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('RAM role aliyunosseventnotificationrole (FC\'s role for oss triggers) must exist in account 1000000000000001');
    expect(result.stdout).toContain('✓ test/fixtures/own-project/s.yaml is valid');
    expect(result.status).toBe(0);
  }, 120_000);

  it("validate takes each function as FC's runtime does: a handler file other than index.js, Python, a custom runtime", () => {
    const fn = (resource: string, props: string) => `  ${resource}:\n    component: fc3\n    props:\n      region: cn-hangzhou\n      functionName: mixed-${resource}\n      handler: ${props}\n`;
    dir.write(
      'mixed/s.yaml',
      `edition: 3.0.0\nname: mixed\nresources:\n` +
        fn('node', 'app.main\n      runtime: nodejs20\n      code: ./node') +
        fn('py', 'index.handler\n      runtime: python3.10\n      code: ./py') +
        fn('web', 'index.handler\n      runtime: custom.debian12\n      code: ./web\n      customRuntimeConfig:\n        command: [node, server.js]'),
    );
    dir.write('mixed/node/app.js', "exports.main = async () => 'ok';\n");
    dir.write('mixed/web/server.js', "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.FC_SERVER_PORT));\n");
    dir.write('mixed/py/README', 'index.py not written yet\n');
    const missing = script('validate.ts', ['-t', 'mixed']);
    expect(missing.status).toBe(1);
    // One problem, the Python module; not "index.js does not exist" for each of the three.
    expect(missing.stderr).toMatch(/^✗ 1 problem\(s\):\n {2}- py: nothing to run: no index\.py in py /);
    dir.write('mixed/py/index.py', 'def handler(event, context):\n    return "ok"\n');
    const valid = script('validate.ts', ['-t', 'mixed']);
    expect(valid.stderr).toBe('');
    expect(valid.status).toBe(0);
  }, 120_000);

  it('validate holds the project to the platform rules: an OSS trigger without its role, a bundle not built', () => {
    const yaml = readFileSync(join(FIXTURES, 'own-project', 's.yaml'), 'utf8').replace(/^ *invocationRole: .*\n/m, '');
    dir.write('broken/s.yaml', yaml.replace('code: ./code/hello', 'code: ./dist/hello'));
    dir.write('broken/.env', readFileSync(join(FIXTURES, 'own-project', '.env'), 'utf8'));
    dir.write('broken/ros/storage.yaml', readFileSync(join(FIXTURES, 'own-project', 'ros', 'storage.yaml'), 'utf8'));
    for (const fn of ['tick', 'on-upload']) dir.write(`broken/code/${fn}/index.js`, 'exports.handler = async () => {};\n');
    dir.write('broken/dist/hello/README', 'built by nothing\n');
    const result = script('validate.ts', ['-t', 'broken/s.yaml']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('resources.on-upload.props.triggers[0].invocationRole: required: the role the event source assumes to invoke the function');
    expect(result.stderr).toContain(`hello: ${join(dir.path, 'broken', 'dist', 'hello', 'index.js')} does not exist (run npm run build)`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('validate passes a project whose MNS names carry no stage prefix and whose queue trigger has no event pattern (D165)', () => {
    // The stage-prefix rule is this suite's convention (vars.prefix, D144), not the platform's; an absent
    // eventRuleFilterPattern filters nothing out (the local cloud delivers every message), unlike a wrong source.
    dir.write('mq/ros/mq.yaml', MQ_TEMPLATE);
    for (const fn of ['on-topic', 'on-queue']) dir.write(`mq/code/${fn}/index.js`, 'exports.handler = async () => {};\n');
    dir.write('mq/s.yaml', MQ_PROJECT);
    const result = script('validate.ts', ['-t', 'mq/s.yaml']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('EventBridge activated in cn-hangzhou');
    expect(result.status).toBe(0);
    // A pattern naming another source still matches nothing, and is still refused.
    dir.write('mq/s.yaml', MQ_PROJECT.replace('maximumTasks: 1', "maximumTasks: 1\n            eventRuleFilterPattern: '{\"source\":[\"MNS-on-queue-jobs\"]}'"));
    const wrong = script('validate.ts', ['-t', 'mq/s.yaml']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('resources.on-queue.props.triggers[0].triggerConfig.eventRuleFilterPattern: must match source "MNS-my-on-queue-jobs"');
    expect(wrong.stderr).not.toContain('stage prefix');
    // A template mistake is named by the project's own file and resource, not this repository's infra/ros.yaml.
    dir.write('mq/s.yaml', MQ_PROJECT);
    dir.write('mq/ros/mq.yaml', MQ_TEMPLATE.replace('QueueName: my-jobs\n', 'QueueName: my-jobs\n      ReceiveMessageWaitTime: 5\n'));
    const typo = script('validate.ts', ['-t', 'mq/s.yaml']);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('ros/mq.yaml Resources.Jobs.Properties.ReceiveMessageWaitTime: not a property of ALIYUN::MNS::Queue');
    expect(typo.stderr).not.toContain('infra/ros.yaml');
  }, 180_000);

  it('deploy runs the steps on the project and ends in s deploy -y -t <file> in its folder, passing s its own options', () => {
    const log = join(dir.path, 'fake-s.log');
    const guard = dir.write('fake-s-deploy.cjs', FAKE_S_DEPLOY);
    const env = { AccessKeyID: 'id', AccessKeySecret: 'secret', AccountID: '1234567890123456', FAKE_S_LOG: log, NODE_OPTIONS: `--require ${guard}` };
    const result = script('deploy.ts', ['-t', 'greet/s.yaml', '--skip-push'], env);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/built 1 functions[^]*is valid/);
    expect(result.status).toBe(0);
    const calls = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { argv: string[]; cwd: string });
    expect(calls).toEqual([{ argv: ['deploy', '-y', '-t', join(dir.path, 'greet', 's.yaml'), '--skip-push'], cwd: join(dir.path, 'greet') }]);
  }, 180_000);

  it("deploy without credentials stops first, naming the project's own access alias; nothing built", () => {
    dir.write('unbuilt/s.yaml', GREET);
    dir.write('unbuilt/functions/greet/handler.ts', 'export const handler = async () => 1;\n');
    const result = script('deploy.ts', ['-t', 'unbuilt/s.yaml']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no access alias "greeting-account" in s\'s configuration');
    expect(result.stderr).toContain('-a greeting-account -f');
    expect(existsSync(join(dir.path, 'unbuilt', 'dist'))).toBe(false);
  }, 120_000);
});
