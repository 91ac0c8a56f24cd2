/**
 * A process instance starts behind a watchdog (`sh` that `exec`s the command, D151): the process is the command
 * itself, and a command that cannot be found is named as before the watchdog, not as an anonymous exit code.
 */
import { readFileSync } from 'node:fs';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { ProcessInstance } from '../../scripts/local/runtime/process-instance';
import type { FunctionContext } from '../../scripts/local/runtime/protocol';
import type { FunctionSpec } from '../../scripts/local/spec/model';
import { loadOneFunction } from '../helpers/one-function-spec';
import { tempDir } from '../helpers/temp';

const context: FunctionContext = {
  credentials: { ...LOCAL_CREDENTIALS, securityToken: LOCAL_CREDENTIALS.securityToken ?? '' },
  function: { name: 't-web', handler: 'index.handler', memory: 128, timeout: 3 },
  service: { logProject: '', logStore: '', qualifier: 'LATEST' },
  region: 'cn-hangzhou',
  accountId: '1',
};

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('process instances behind the watchdog', () => {
  const code = tempDir('fx-watchdog-');
  afterAll(() => code.cleanup());

  function customFunction(command: string[]): FunctionSpec {
    const { spec, errors } = loadOneFunction(`runtime: custom.debian12\nhandler: index.handler\ncustomRuntimeConfig:\n  command: ${JSON.stringify(command)}`, { 'code/server.js': '' });
    expect(errors).toEqual([]);
    return { ...spec!.functions[0]!, codeDir: code.path };
  }

  it('is the command itself: the pid that serves is the one started, with its own argv', async () => {
    code.write('server.js', "require('node:http').createServer((q, s) => s.end(String(process.pid))).listen(Number(process.env.FC_SERVER_PORT), '127.0.0.1');\n");
    const instance = await ProcessInstance.start(customFunction(['node', 'server.js']), { PATH: process.env.PATH ?? '' }, context, () => undefined);
    try {
      const outcome = await instance.invoke({ event: Buffer.from('{}') }, { requestId: 'r-1', retryCount: 0 }, 5000);
      expect(outcome.ok).toBe(true);
      const pid = Number(outcome.payload.toString());
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)).toEqual(['node', 'server.js']);
    } finally {
      await instance.terminate();
    }
  });

  it('names a program that cannot be found', async () => {
    const failed = await ProcessInstance.start(customFunction(['no-such-program-d151']), { PATH: process.env.PATH ?? '' }, context, () => undefined).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failed).toContain('exited before listening (exit code 127: no-such-program-d151 was not found)');
    // The shell's own words, in the server's last output.
    expect(failed).toMatch(/no-such-program-d151: not found/);
  });
});
