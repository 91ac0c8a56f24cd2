/**
 * What FC hands a function with and without a role (D157), through the local cloud, in each runtime kind: a bundled
 * Node.js handler (invoked and behind its HTTP trigger), a custom runtime's server and a Python handler. Without a
 * role: `context.credentials` is `{}`, no ALIBABA_CLOUD_* variables, no x-fc-access-key-* headers — so the suite's
 * SDK adapter names the missing role, and an async result has nothing to be sent with. With one: the role's STS key,
 * the same in the context, the variables and the headers. Fixture: test/fixtures/apps/credentials.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, roleCredentials } from '../../scripts/local/credentials';
import { REPO_ROOT } from '../../scripts/local/paths';
import { eventually } from '../helpers/eventually';
import { copyFixtureApp } from '../helpers/fixture-app';
import { tempDir } from '../helpers/temp';

interface NodeFacts {
  credentials: Record<string, string>;
  env: { id: string | null; secret: string | null; token: string | null };
  write: string;
}

const NO_ENV = { id: null, secret: null, token: null };

describe('credentials FC hands a function, with and without a role', () => {
  const dir = tempDir('role-credentials-');
  const writer = roleCredentials('fx-cred-writer');
  const writerEnv = { id: writer.accessKeyId, secret: writer.accessKeySecret, token: writer.securityToken };
  let cloud: LocalCloud;
  const said: string[] = [];

  beforeAll(async () => {
    const app = join(dir.path, 'app');
    copyFixtureApp('credentials', app);
    // The probe bundles the suite's own OSS adapter (`#shared/aliyun/…`), as the suite's functions do.
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'preserve', moduleResolution: 'bundler', strict: true, paths: { '#shared/*': [join(REPO_ROOT, 'functions', '_shared', '*')] } } }));
    cloud = await startLocalCloud({ root: app, port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, onAccessDenied: (text) => said.push(text) });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  const invoke = async <T>(fn: string, event: unknown = {}): Promise<T> => {
    const record = await cloud.runtime.invoke(fn, Buffer.from(JSON.stringify(event)), { source: 'test' });
    expect(record.error).toBeUndefined();
    const payload = JSON.parse(record.payload.toString()) as unknown;
    return (typeof payload === 'string' ? JSON.parse(payload) : payload) as T;
  };

  describe('a Node.js function', () => {
    it('without a role gets context.credentials {} and no ALIBABA_CLOUD_* variables', async () => {
      const got = await invoke<NodeFacts>('fx-cred-node-none');
      expect(got.credentials).toEqual({});
      expect(got.env).toEqual(NO_ENV);
    });

    it('without a role gets none behind its HTTP trigger either', async () => {
      const res = await fetch(`${cloud.url}/_fc/fx-cred-node-none/probe`);
      expect(res.status).toBe(200);
      const got = (await res.json()) as NodeFacts;
      expect(got.credentials).toEqual({});
      expect(got.env).toEqual(NO_ENV);
    });

    it('without a role: the SDK adapter names the function and the missing role, not a signature failure', async () => {
      const got = await invoke<NodeFacts>('fx-cred-node-none');
      expect(got.write).toMatch(/^NoRoleError: function fx-cred-node-none has no role: FC gives it no credentials \(context\.credentials is \{\}, no ALIBABA_CLOUD_ACCESS_KEY_ID\).*give it a role in s\.yaml \(props\.role/);
    });

    it("with a role gets the role's STS key in the context and the same key in ALIBABA_CLOUD_*, which OSS accepts", async () => {
      const got = await invoke<NodeFacts>('fx-cred-node-role');
      expect(got.credentials).toEqual(writer);
      // Not the account's key: the environment once held it while the context held the role's.
      expect(got.env).toEqual(writerEnv);
      expect(got.env.id).not.toBe(LOCAL_CREDENTIALS.accessKeyId);
      expect(got.write).toMatch(/^wrote probe\//);
    });

    it('with a role gets the same behind its HTTP trigger', async () => {
      const got = (await (await fetch(`${cloud.url}/_fc/fx-cred-node-role/probe`)).json()) as NodeFacts;
      expect(got.credentials).toEqual(writer);
      expect(got.env).toEqual(writerEnv);
    });
  });

  describe('a custom runtime function', () => {
    it('without a role gets no x-fc-access-key-* headers and no ALIBABA_CLOUD_* variables', async () => {
      const got = await invoke<{ headers: Record<string, string>; env: NodeFacts['env'] }>('fx-cred-custom-none');
      expect(got).toEqual({ headers: {}, env: NO_ENV });
    });

    it("with a role gets the role's key in the headers and the variables", async () => {
      const got = await invoke<{ headers: Record<string, string>; env: NodeFacts['env'] }>('fx-cred-custom-role');
      expect(got).toEqual({
        headers: { 'x-fc-access-key-id': writer.accessKeyId, 'x-fc-access-key-secret': writer.accessKeySecret, 'x-fc-security-token': writer.securityToken },
        env: writerEnv,
      });
    });
  });

  describe('a Python function', () => {
    it('without a role gets empty context.credentials fields and no ALIBABA_CLOUD_* variables', async () => {
      const got = await invoke<{ credentials: Record<string, string>; env: NodeFacts['env'] }>('fx-cred-py-none');
      expect(got).toEqual({ credentials: { access_key_id: '', access_key_secret: '', security_token: '' }, env: NO_ENV });
    });

    it("with a role gets the role's key in context.credentials and the variables", async () => {
      const got = await invoke<{ credentials: Record<string, string>; env: NodeFacts['env'] }>('fx-cred-py-role');
      expect(got).toEqual({ credentials: { access_key_id: writer.accessKeyId, access_key_secret: writer.accessKeySecret, security_token: writer.securityToken }, env: writerEnv });
    });
  });

  describe('async results', () => {
    it('are not sent for a function without a role: a failed delivery, with the reason, said at start too', async () => {
      const none = cloud.asyncInvoker.enqueue('fx-cred-notify-none', Buffer.from('{}'), 'test');
      const role = cloud.asyncInvoker.enqueue('fx-cred-notify-role', Buffer.from('{}'), 'test');
      await eventually(() => {
        expect(cloud.asyncInvoker.get(none)).toMatchObject({ status: 'succeeded', destination_owed: null });
        expect(cloud.asyncInvoker.get(role)).toMatchObject({ status: 'succeeded', destination_owed: null, destination_error: null });
      });
      expect(cloud.asyncInvoker.get(none)?.destination_error).toBe(
        `AccessDenied: function fx-cred-notify-none has no role, so FC has no credentials to call mns:SendMessage on acs:mns:cn-hangzhou:${LOCAL_ACCOUNT_ID}:/queues/fx-cred-results/messages with (give it a role in s.yaml whose policies allow it).`,
      );
      const bodies = cloud.mns.emulator.queues.peek('fx-cred-results', 20).map((m) => m.body);
      expect(bodies.some((b) => b.includes(role))).toBe(true);
      expect(bodies.some((b) => b.includes(none))).toBe(false);
      // Said at start (the spec shows it) and again when the result was not sent; never of the function with a role.
      expect(said).toContainEqual(expect.stringMatching(/^onSuccess destination of fx-cred-notify-none: function fx-cred-notify-none has no role.*Its async results will not reach/));
      expect(said).toContainEqual(expect.stringContaining(`The result of async invocation ${none} was not delivered`));
      expect(said.filter((s) => s.includes('fx-cred-notify-role'))).toEqual([]);
    });
  });
});
