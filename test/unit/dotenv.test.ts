import { parseDotEnv, withDotEnv } from '../../scripts/local/spec/dotenv';
import { loadSpec } from '../../scripts/local/spec/load';
import { tempDir } from '../helpers/temp';

/** The .env files `s` reads before rendering a yaml, read the same way by the local cloud (D154). */
describe('.env files', () => {
  it('reads KEY=value lines as dotenv and dotenv-expand do: export, comments, quotes, escapes, expansion of every value', () => {
    const text = [
      '# a comment',
      'export PLAIN=value   # trailing comment',
      "SINGLE='kept as ${PLAIN} # is'",
      'DOUBLE="line1\\nline2 ${PLAIN}"',
      'BACK=`back ${PLAIN}`',
      'EMPTY=',
      'FROM_SHELL=${HOME_DIR}/x',
      'DEFAULTED=${MISSING:-fallback}',
      'DOLLAR=\\$PLAIN',
      'URL=http://h/p#frag',
      'MULTI="a',
      'b"',
      'not a line',
    ].join('\r\n');
    expect(parseDotEnv(text, { HOME_DIR: '/home/me' })).toEqual({
      PLAIN: 'value',
      SINGLE: 'kept as value # is',
      DOUBLE: 'line1\nline2 value',
      BACK: 'back value',
      EMPTY: '',
      FROM_SHELL: '/home/me/x',
      DEFAULTED: 'fallback',
      DOLLAR: '$PLAIN',
      URL: 'http://h/p',
      MULTI: 'a\nb',
    });
  });

  it('never replaces what is set: the shell first, then code folders, then the yaml folder', () => {
    const dir = tempDir('dotenv-');
    try {
      dir.write('.env', 'A=project\nB=project\nC=project\n');
      dir.write('code/api/.env', 'B=code\nC=code\n');
      const env = withDotEnv({ C: 'shell' }, dir.path, ['./code/api', './code/missing', '${vars.code}']);
      expect([env.A, env.B, env.C]).toEqual(['project', 'code', 'shell']);
      // No .env anywhere: the environment itself, untouched.
      const plain = { X: '1' };
      expect(withDotEnv(plain, `${dir.path}/code/missing`, [])).toBe(plain);
    } finally {
      dir.cleanup();
    }
  });

  it("feeds s.yaml's ${env()} as s does, the shell still winning", () => {
    const dir = tempDir('dotenv-spec-');
    try {
      dir.write('.env', 'GREETING=from .env\nSTAGE=test\n');
      dir.write('code/hello/index.js', 'exports.handler = async () => "ok";\n');
      const file = dir.write(
        's.yaml',
        "edition: 3.0.0\nname: t\nresources:\n  hello:\n    component: fc3\n    props:\n      region: cn-hangzhou\n      functionName: t-hello-${env('STAGE')}\n      runtime: nodejs20\n      handler: index.handler\n      code: ./code/hello\n      environmentVariables:\n        GREETING: ${env('GREETING')}\n",
      );
      const fn = loadSpec(file, { STAGE: 'dev' }).functions[0]!;
      expect([fn.name, fn.environment.GREETING]).toEqual(['t-hello-dev', 'from .env']);
    } finally {
      dir.cleanup();
    }
  });
});
