import { join } from 'node:path';
import { loadSpec } from '../../scripts/local/spec/load';
import { SpecErrors } from '../../scripts/local/spec/errors';
import { tempDir } from '../helpers/temp';

const ROOT = join(__dirname, '..', '..');

function specErrors(yaml: string, files: Record<string, string> = {}): string[] {
  const dir = tempDir();
  try {
    for (const [name, text] of Object.entries(files)) dir.write(name, text);
    loadSpec(dir.write('s.yaml', yaml), {});
    return [];
  } catch (err) {
    if (err instanceof SpecErrors) return err.errors.map((e) => e.message);
    throw err;
  } finally {
    dir.cleanup();
  }
}

const FN = (extra: string) => `edition: 3.0.0
name: t
resources:
  f:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: t-f
      runtime: nodejs20
      code: ./dist/f
      handler: index.handler
${extra}`;

describe('loadSpec on the real s.yaml', () => {
  const spec = loadSpec(join(ROOT, 's.yaml'), {});

  it('renders names from vars and the stage', () => {
    expect(spec.functions.map((f) => f.name)).toContain('fcsuite-dev-product-bff');
    const staged = loadSpec(join(ROOT, 's.yaml'), { STAGE: 'prod' });
    expect(staged.functions.find((f) => f.resource === 'product-bff')?.name).toBe('fcsuite-prod-product-bff');
  });

  it('points every function at its bundle folder and an index.handler export', () => {
    for (const fn of spec.functions) {
      expect(fn.codeDir).toBe(join(ROOT, 'dist', fn.resource));
      expect(fn.handler).toBe('index.handler');
      expect(fn.runtime).toBe('nodejs20');
    }
  });

  it('resolves cross-resource references and the API routes', () => {
    const bff = spec.functions.find((f) => f.resource === 'product-bff')!;
    expect(bff.environment.PRODUCT_PRICE_FUNCTION).toBe('fcsuite-dev-product-price');
    expect(spec.routes.map((r) => `${r.path} -> ${r.functionName}`)).toEqual(
      expect.arrayContaining(['/api/products -> fcsuite-dev-product-bff', '/api/products/* -> fcsuite-dev-product-bff', '/api/auth/token -> fcsuite-dev-auth-token']),
    );
  });

  it('reads buckets and tables from the ROS template', () => {
    expect(spec.infra.buckets.map((b) => b.name)).toContain('fcsuite-dev-media');
    // The template's CORS rule as a deploy would set it: its methods, headers and exposed headers, not just origins.
    expect(spec.infra.buckets.find((b) => b.name === 'fcsuite-dev-media')?.corsRules).toEqual([
      { allowedOrigins: [expect.stringMatching(/^https?:\/\//)], allowedMethods: ['GET', 'PUT', 'HEAD'], allowedHeaders: ['*'], exposeHeaders: ['ETag', 'x-oss-request-id'], maxAgeSeconds: 600 },
    ]);
    expect(spec.infra.tables.find((t) => t.name === 'product_price')?.primaryKey).toEqual([
      { name: 'productId', type: 'STRING' },
      { name: 'region', type: 'STRING' },
    ]);
  });
});

describe('loadSpec refuses what the local cloud does not implement', () => {
  it('names an unsupported fc3 key with its path and the reason', () => {
    const errors = specErrors(FN('      nasConfig: auto\n'));
    expect(errors).toEqual([expect.stringContaining('resources.f.props.nasConfig: not supported by the local cloud: NAS mounts are not emulated')]);
  });

  it('suggests the key a typo meant', () => {
    const errors = specErrors(FN('      memmorySize: 256\n'));
    expect(errors[0]).toContain('resources.f.props.memmorySize: unknown key');
    expect(errors[0]).toContain('did you mean "memorySize"?');
  });

  it('refuses trigger types and trigger config keys it does not emulate', () => {
    const errors = specErrors(
      FN(`      triggers:
        - triggerName: t
          triggerType: log
          triggerConfig: {}
        - triggerName: h
          triggerType: http
          triggerConfig: { authType: anonymous, methods: [GET], weird: 1 }
`),
    );
    expect(errors).toEqual([
      expect.stringContaining('resources.f.props.triggers[0].triggerType: "log"'),
      expect.stringContaining('resources.f.props.triggers[1].triggerConfig.weird: unknown key'),
    ]);
  });

  it('checks fc3 schema constraints: memory multiple of 64, runtime enum', () => {
    const errors = specErrors(FN('      memorySize: 100\n').replace('nodejs20', 'java17'));
    expect(errors).toEqual(
      expect.arrayContaining([expect.stringContaining('runtime "java17" is not emulated'), expect.stringContaining('memorySize: must be an integer in 128..32768, a multiple of 64')]),
    );
  });

  it('refuses deploy outputs, which do not exist locally', () => {
    const errors = specErrors(FN('      description: ${resources.f.output.url}\n'));
    expect(errors[0]).toContain('deploy outputs do not exist locally');
  });

  it('refuses an unknown component and reports every problem at once', () => {
    const errors = specErrors(`edition: 3.0.0
name: t
template: {}
resources:
  w:
    component: apigateway
    props: {}
`);
    expect(errors).toEqual([expect.stringContaining('template: not supported'), expect.stringContaining('component "apigateway" is not emulated')]);
  });

  it('names a bucket CORS rule field OSS would refuse (a method it does not take, an exposed "*", no origin)', () => {
    const template = `Resources:
  Media:
    Type: ALIYUN::OSS::Bucket
    Properties:
      BucketName: t-media
      CORSConfiguration:
        CORSRule:
          - AllowedOrigin: ['https://a.example']
            AllowedMethod: [GET, PATCH]
          - AllowedOrigin: ['https://a.example']
            AllowedMethod: [GET]
            ExposeHeader: ['*']
          - AllowedMethod: [GET]
`;
    const errors = specErrors(`edition: 3.0.0
name: t
resources:
  infra:
    component: ros
    props:
      region: cn-hangzhou
      template: ./ros.yaml
`, { 'ros.yaml': template });
    expect(errors).toEqual([
      expect.stringContaining('CORSConfiguration.CORSRule[0].AllowedMethod'),
      expect.stringContaining('CORSConfiguration.CORSRule[1].ExposeHeader'),
      expect.stringContaining('CORSConfiguration.CORSRule[2].AllowedOrigin'),
    ]);
  });

  it('requires destinations and OSS buckets to exist', () => {
    const errors = specErrors(
      FN(`      asyncInvokeConfig:
        destinationConfig:
          onFailure: { destination: 'acs:fc:cn-hangzhou::functions/nowhere' }
      triggers:
        - triggerName: o
          triggerType: oss
          sourceArn: acs:oss:cn-hangzhou:123:no-such-bucket
          triggerConfig: { events: ['oss:ObjectCreated:*'], filter: { key: { prefix: a/, suffix: .png } } }
`),
    );
    expect(errors).toEqual(
      expect.arrayContaining([expect.stringContaining('bucket "no-such-bucket" is not declared'), expect.stringContaining('function "nowhere" is not declared')]),
    );
  });
});
