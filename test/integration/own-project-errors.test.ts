import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/local/paths';
import { projectDataDir } from '../../scripts/local/template-option';
import { tempDir } from '../helpers/temp';

/**
 * A newcomer's first `npm start -- -t <their s.yaml>` (D154): a wrong path, a file that is not a Serverless Devs 3 /
 * fc3 one, a code folder that is not there, a trigger on a bucket declared nowhere — each stops the start with one
 * message naming their file and the line, exit non-zero, before a data folder is made; never node's stack.
 */
const START = join(REPO_ROOT, 'scripts', 'local', 'start.ts');

const HELLO = `edition: 3.0.0
name: first-try
vars:
  region: cn-hangzhou
resources:
  hello:
    component: fc3
    props:
      region: \${vars.region}
      functionName: first-hello
      runtime: nodejs20
      handler: index.handler
      code: ./code/hello
`;

describe('npm start -- -t: what a newcomer gets wrong', () => {
  const dir = tempDir('own-project-errors-');
  afterAll(() => dir.cleanup());

  const start = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', START, ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      // Typed in the temp folder (npm's INIT_CWD); free ports, were anything to start.
      env: { ...process.env, INIT_CWD: dir.path, PORT: '0', DATA_DIR: '', NO_COLOR: '1' },
      timeout: 60_000,
    });

  /** Runs `npm start -- -t <name>` on `yaml` and returns what it printed on stderr, having checked it failed cleanly. */
  const refusal = (name: string, yaml: string, files: Record<string, string> = {}) => {
    const file = dir.write(name, yaml);
    for (const [path, text] of Object.entries(files)) dir.write(path, text);
    const result = start(['-t', name]);
    expect(result.status).toBe(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(projectDataDir(file))).toBe(false);
    return { file, stderr: result.stderr };
  };

  it('a path that leads nowhere: the path as typed, where it was looked for', () => {
    const result = start(['-t', 'my-app/s.yaml']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`-t my-app/s.yaml (${join(dir.path, 'my-app', 's.yaml')}): no such file; its folder ${join(dir.path, 'my-app')} does not exist either. Give the path of your project's s.yaml, e.g. npm start -- -t ../my-app/s.yaml\n`);
  });

  it('-t with no file, or an argument npm start does not take: exit 2 with the usage', () => {
    const bare = start(['-t']);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/^-t needs the path of a Serverless Devs yaml, e.g. -t \.\.\/my-app\/s\.yaml\n\nusage: .*npm start \[-- -t <your project's s\.yaml>\]/);
    const unknown = start(['-t', 'x.yaml', '--port', '9100']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^unknown argument --port\n/);
  });

  it('a Serverless Devs 2 file: said to be one, on its edition line', () => {
    const { file, stderr } = refusal('old/s.yaml', 'edition: 1.0.0\nname: old\nservices:\n  hello:\n    component: devsapp/fc\n    props: { region: cn-hangzhou }\n');
    expect(stderr).toMatch(new RegExp(`^the local cloud cannot run ${file}:\\n- ${file}:1 edition: a Serverless Devs 1\\.0\\.0 file \\(services: where edition 3\\.0\\.0 has resources:\\), which the local cloud does not read\\n  hint: the local cloud runs Serverless Devs 3 files`));
    expect(stderr).toContain('s cli fc3 s2tos3 --source s.yaml --target s3.yaml');
  });

  it("FC 2.0's component in an edition 3 file: named on its line", () => {
    const { file, stderr } = refusal('fc2/s.yaml', HELLO.replace('component: fc3', 'component: fc'));
    expect(stderr).toContain(`- ${file}:7 resources.hello.component: component "fc" is FC 2.0's (services holding functions), which the local cloud does not run`);
  });

  it('a ROS template given for the s.yaml: said to be one', () => {
    const { file, stderr } = refusal('infra/ros.yaml', "ROSTemplateFormatVersion: '2015-09-01'\nResources: {}\n");
    expect(stderr).toContain(`- ${file}:1 ROSTemplateFormatVersion: this is a ROS template, not a Serverless Devs s.yaml\n  hint: give the s.yaml that deploys it`);
  });

  it('a code folder that is not there: the folder, on the line of code:', () => {
    const { file, stderr } = refusal('nocode/s.yaml', HELLO);
    expect(stderr).toBe(
      `the local cloud cannot run ${file}:\n- ${file}:13 resources.hello.props.code: the code folder code/hello does not exist (${join(dir.path, 'nocode', 'code', 'hello')})\n` +
        `  hint: code: is taken from the yaml's folder (${join(dir.path, 'nocode')}); put index.js with the handler (index.handler) in code/hello, or its TypeScript source at functions/hello/handler.ts\n`,
    );
  });

  it('a misspelt key: the key, its line, the likely one', () => {
    const { file, stderr } = refusal('typo/s.yaml', HELLO.replace('runtime: nodejs20', 'runtime: nodejs20\n      memorySzie: 256'), { 'typo/code/hello/index.js': 'exports.handler = async () => "ok";\n' });
    expect(stderr).toContain(`- ${file}:12 resources.hello.props.memorySzie: unknown key, not supported by the local cloud\n  hint: did you mean "memorySize"?`);
  });

  it('an OSS trigger on a bucket no ROS template declares: refused by name, with where to declare it', () => {
    const trigger = `      triggers:
        - triggerName: uploads
          triggerType: oss
          sourceArn: acs:oss:cn-hangzhou:123:my-uploads
          triggerConfig: { events: ['oss:ObjectCreated:*'] }
`;
    const { file, stderr } = refusal('nobucket/s.yaml', HELLO + trigger, { 'nobucket/code/hello/index.js': 'exports.handler = async () => "ok";\n' });
    expect(stderr).toContain(
      `- ${file}:17 resources.hello.props.triggers[0].sourceArn: bucket "my-uploads" is not declared in the ROS template\n` +
        '  hint: this s.yaml has no ROS template, and the local cloud creates only what a project declares: add a resource with component: ros whose template declares ALIYUN::OSS::Bucket my-uploads (s deploy then creates it too)',
    );
  });

  it('npm run invoke without --: npm kept -t (or --template), the command with -- is named', () => {
    const invoke = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'invoke.ts'), ...args], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, INIT_CWD: dir.path, DATA_DIR: '', NO_COLOR: '1', ...env },
        timeout: 60_000,
      });
    const kept = invoke(['hello', 'app/s.yaml']);
    expect(kept.status).toBe(2);
    expect(kept.stderr).toMatch(/^npm took -t \(or --template\) for itself and passed only app\/s\.yaml on: put -- before it, npm run invoke -- hello -t app\/s\.yaml\n/);
    const config = invoke(['hello'], { npm_config_template: 'app/s.yaml' });
    expect(config.status).toBe(2);
    expect(config.stderr).toMatch(/^npm took --template=app\/s\.yaml as a setting of its own and did not pass it on: put -- before it, npm run invoke -- hello --template=app\/s\.yaml\n/);
  });
});
