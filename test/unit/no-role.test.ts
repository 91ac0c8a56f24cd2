import { join } from 'node:path';
import { LOCAL_CREDENTIALS, roleCredentials } from '../../scripts/local/credentials';
import { credentialEnv, credentialHeaders, functionCredentials } from '../../scripts/local/ram/function-credentials';
import { appearsToCallSdks, noRoleLines } from '../../scripts/local/ram/no-role';
import { tempDir } from '../helpers/temp';

const spec = { infra: { roles: [{ name: 'fx-Writer', trustedServices: ['fc.aliyuncs.com'], statements: [] }] } };

describe("a function's credentials (D157)", () => {
  it('are none without a role: {} in the context, no variables, no headers', () => {
    const none = functionCredentials({}, spec);
    expect(none).toEqual({});
    expect(credentialEnv(none)).toEqual({});
    expect(credentialHeaders(none)).toEqual({});
  });

  it("are a declared role's STS key (names compared case-insensitively), the same in variables and headers", () => {
    const c = functionCredentials({ role: 'FX-writer' }, spec);
    expect(c).toEqual(roleCredentials('fx-Writer'));
    expect(credentialEnv(c)).toEqual({ ALIBABA_CLOUD_ACCESS_KEY_ID: c.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: c.accessKeySecret, ALIBABA_CLOUD_SECURITY_TOKEN: c.securityToken });
    expect(credentialHeaders(c)).toEqual({ 'x-fc-access-key-id': c.accessKeyId, 'x-fc-access-key-secret': c.accessKeySecret, 'x-fc-security-token': c.securityToken });
  });

  it("are the account's key for a role no template declares (its policies live in the account alone, D144)", () => {
    expect(functionCredentials({ role: 'somewhere-else' }, spec)).toEqual(LOCAL_CREDENTIALS);
  });
});

describe("npm start's line about functions without a role", () => {
  const dir = tempDir('no-role-');
  afterAll(() => dir.cleanup());

  it('is not said when every function has a role', () => {
    expect(noRoleLines([{ name: 'a', role: 'r', codeDir: '/x' }], () => true)).toEqual([]);
  });

  it('names the role-less functions, and among them those whose code appears to call a cloud SDK', () => {
    const lines = noRoleLines(
      [
        { name: 'fx-plain', codeDir: '/plain' },
        { name: 'fx-uploader', codeDir: '/sdk' },
        { name: 'fx-owned', role: 'r', codeDir: '/sdk' },
      ],
      (codeDir) => codeDir === '/sdk',
    );
    expect(lines).toEqual([
      'functions without a role (FC gives them no credentials: context.credentials is {}, no ALIBABA_CLOUD_* variables): fx-plain, fx-uploader',
      '  fx-uploader appears to call cloud SDKs: those calls fail without credentials, here as in the cloud; give it a role in s.yaml (props.role) with the policies it needs',
    ]);
  });

  it('finds SDK use in Node and Python code, not in node_modules', () => {
    dir.write('node/index.js', "const OSS = require('ali-oss');\n");
    dir.write('py/index.py', 'import oss2\n');
    dir.write('plain/index.js', "exports.handler = async () => 'hi';\n");
    dir.write('plain/node_modules/ali-oss/index.js', "module.exports = 'ali-oss';\n");
    expect(appearsToCallSdks(join(dir.path, 'node'))).toBe(true);
    expect(appearsToCallSdks(join(dir.path, 'py'))).toBe(true);
    expect(appearsToCallSdks(join(dir.path, 'plain'))).toBe(false);
    expect(appearsToCallSdks(join(dir.path, 'missing'))).toBe(false);
  });
});
