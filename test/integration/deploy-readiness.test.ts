import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec } from '../../scripts/local/spec/load';
import type { AppSpec } from '../../scripts/local/spec/model';
import { bundleProblems, previewWithServerlessDevs, renderingDifferences, renderingsFor, type Preview } from '../../scripts/validate/checks';
import { bundleContentProblems, devOnlyDependencies } from '../../scripts/validate/platform/bundle-rules';
import { environmentProblems } from '../../scripts/validate/platform/environment';
import { ADAPTER_DIR, infraOf, platformFindings, platformFindingsAt, type PlatformFindings } from '../../scripts/validate/platform/index';
import { SDK_CALL_ACTIONS, sdkCallsIn } from '../../scripts/validate/platform/permissions';
import type { RosTemplate } from '../../scripts/validate/platform/ros-rules';
import { tempDir } from '../helpers/temp';

/**
 * `npm run validate`'s platform rules (D141): what FC, ROS and RAM would refuse or mis-run, found offline on
 * Serverless Devs' own rendering of the real s.yaml and the real ROS template. Each mistake class is made once
 * on a copy and must be named, field and reason, so the check cannot pass by finding nothing.
 */
const ROOT = join(__dirname, '..', '..');
const ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH };

type Props = Record<string, unknown>;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('deploy readiness: s.yaml, infra/ros.yaml and the roles against the platform rules', () => {
  let preview: Preview;
  let template: RosTemplate;
  let passed: Props;
  const calls = sdkCallsIn(ADAPTER_DIR(ROOT));

  beforeAll(async () => {
    preview = await previewWithServerlessDevs(ROOT, ENV);
    ({ template, passed } = infraOf(preview, ROOT));
  });

  /** Findings after `change` edits copies of the rendering, the template and the passed parameters. */
  function findingsAfter(change: (p: { props: (resource: string) => Props; template: RosTemplate; passed: Props; preview: Preview }) => void): PlatformFindings {
    const copy = { preview: clone(preview), template: clone(template), passed: clone(passed) };
    change({ ...copy, props: (resource) => copy.preview.resources[resource]!.props as Props });
    return platformFindings(copy.preview, copy.template, copy.passed, calls);
  }
  const problemsAfter = (change: Parameters<typeof findingsAfter>[0]) => findingsAfter(change).problems;
  const resources = () => template.Resources!;
  const trigger = (props: Props, i: number) => (props.triggers as Props[])[i]!;

  it('finds nothing wrong in the real s.yaml and template, and lists what only the account can answer', () => {
    const { problems, manualSteps } = platformFindings(preview, template, passed, calls);
    expect(problems).toEqual([]);
    expect(manualSteps).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^enable TableStore Stream on fcsuite-dev\/images /),
        expect.stringMatching(/^enable TableStore Stream on fcsuite-dev\/order_events /),
        expect.stringMatching(/^RAM role aliyunosseventnotificationrole /),
      ]),
    );
  });

  it('holds function sizes to FC 3.0: memory steps, vCPU steps and the 1:1-1:4 vCPU:GB ratio, disk, hook timeouts', () => {
    expect(
      problemsAfter(({ props }) => {
        Object.assign(props('auth-token'), { memorySize: 100 });
        Object.assign(props('make-thumbnail'), { cpu: 0.35 }); // 2048 MB on 0.35 vCPU: 1:5.85
        Object.assign(props('image-api'), { cpu: 0.33, diskSize: 1024 });
        (props('product-info').instanceLifecycleConfig as { initializer: Props }).initializer.timeout = 301;
        props('demo-seed').functionName = '9-seed';
      }),
    ).toEqual(
      expect.arrayContaining([
        'resources.auth-token.props.memorySize: must be 128-32768 MB in steps of 64 (got 100)',
        'resources.make-thumbnail.props.cpu: 0.35 vCPU with 2048 MB is 1:5.71; FC needs vCPU:GB between 1:1 and 1:4',
        'resources.image-api.props.cpu: must be 0.05-16 vCPU in steps of 0.05 (got 0.33)',
        'resources.image-api.props.diskSize: must be 512 or 10240 (got 1024)',
        'resources.product-info.props.instanceLifecycleConfig.initializer.timeout: must be 1-300 s (got 301)',
        'resources.demo-seed.props.functionName: "9-seed" is not 1-64 letters, digits, _ or -, starting with a letter or _',
      ]),
    );
  });

  it('holds environment variables to FC: names, reserved names, strings only, 4 KB in all', () => {
    const problems = problemsAfter(({ props }) => {
      Object.assign(props('auth-token').environmentVariables as Props, { 'BAD-NAME': 'x', FC_REGION: 'x', topic: 'x', RETRIES: 3 });
      Object.assign(props('demo-seed').environmentVariables as Props, { BIG: 'x'.repeat(4000) });
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'resources.auth-token.props.environmentVariables.BAD-NAME: a name must start with a letter and hold only letters, digits and _',
        'resources.auth-token.props.environmentVariables.FC_REGION: reserved by Function Compute',
        'resources.auth-token.props.environmentVariables.topic: reserved by Function Compute',
        'resources.auth-token.props.environmentVariables.RETRIES: must be a string (got 3); quote it in s.yaml',
        expect.stringMatching(/^resources\.demo-seed\.props\.environmentVariables: 41\d\d bytes of names and values; FC allows 4096 in total$/),
      ]),
    );
  });

  it('holds triggers to their type: cron, enable, roles, ARNs of this account, required configs, names', () => {
    const problems = problemsAfter(({ props }) => {
      Object.assign(trigger(props('product-sales'), 1).triggerConfig as Props, { cronExpression: '*/10 * * * *', enable: 'yes' });
      delete trigger(props('make-thumbnail'), 0).invocationRole;
      delete ((trigger(props('catalog-image'), 0).triggerConfig as Props).filter as { key: Props }).key.suffix;
      trigger(props('catalog-image'), 0).sourceArn = 'acs:oss:cn-hangzhou:1999999999999999:fcsuite-dev-media';
      delete (trigger(props('send-notification'), 0).triggerConfig as Props).notifyStrategy;
      (trigger(props('auth-token'), 0).triggerConfig as Props).methods = ['POST', 'FETCH'];
      (props('iot-report').triggers as Props[])[1]!.triggerName = 'http';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'resources.product-sales.props.triggers[1].triggerConfig.cronExpression: "*/10 * * * *" is neither a 6-field cron (seconds first) nor @every <n>m|h',
        'resources.product-sales.props.triggers[1].triggerConfig.enable: required, true or false',
        'resources.make-thumbnail.props.triggers[0].invocationRole: required: the role the event source assumes to invoke the function',
        "resources.catalog-image.props.triggers[0].triggerConfig.filter.key: prefix and suffix are both required (fc3 schema), '' for none",
        'resources.catalog-image.props.triggers[0].sourceArn: names region cn-hangzhou / account 1999999999999999, not cn-hangzhou / 1000000000000001',
        'resources.send-notification.props.triggers[0].triggerConfig.notifyStrategy: required (fc3 schema)',
        'resources.auth-token.props.triggers[0].triggerConfig.methods: FETCH not among HEAD, DELETE, POST, GET, OPTIONS, PUT, PATCH',
        'resources.iot-report.props.triggers[1].triggerName: "http" is used twice in this function',
      ]),
    );
  });

  it('names the eventbridge rule source fc3 creates, and keeps a batch within the invocation payload limit', () => {
    const problems = problemsAfter(({ props }) => {
      const config = trigger(props('iot-etl'), 0).triggerConfig as Props;
      config.eventRuleFilterPattern = '{"source":["MNS-iot-etl-readings"]}';
      config.asyncInvocationType = true; // 64 messages of up to 64 KB through an async invocation's 128 KB
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'resources.iot-etl.props.triggers[0].triggerConfig.eventRuleFilterPattern: must match source "MNS-fcsuite-dev-iot-etl-readings" (got {"source":["MNS-iot-etl-readings"]})',
        expect.stringMatching(/^resources\.iot-etl\.props\.triggers\[0\]\.triggerConfig\.runOptions\.batchWindow\.CountBasedWindow: 64 messages of up to 65536 bytes \(queue fcsuite-dev-iot-readings\) can reach \d+ bytes; an async invocation takes 131072$/),
      ]),
    );
  });

  it('refuses OSS triggers whose events and key filters overlap on one bucket, and destinations elsewhere', () => {
    const problems = problemsAfter(({ props }) => {
      ((trigger(props('catalog-image'), 0).triggerConfig as Props).filter as { key: Props }).key.prefix = 'uploads/';
      ((props('send-notification').asyncInvokeConfig as Props).destinationConfig as { onFailure: Props }).onFailure.destination = 'acs:mns:cn-shanghai:1000000000000001:/queues/dlq/messages';
      props('order-api').role = 'acs:ram::1999999999999999:role/fcsuite-dev-fn';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'resources.catalog-image.props.triggers[0]: its OSS events and key filter overlap resources.make-thumbnail.props.triggers[0] on bucket fcsuite-dev-media; OSS refuses overlapping notification rules',
        'resources.send-notification.props.asyncInvokeConfig.destinationConfig.onFailure.destination: names region cn-shanghai / account 1000000000000001, not cn-hangzhou / 1000000000000001',
        'resources.order-api.props.role: "acs:ram::1999999999999999:role/fcsuite-dev-fn" is not acs:ram::1000000000000001:role/<name> (the deploying account)',
      ]),
    );
  });

  it('needs Stream on every table a tablestore trigger reads, as the code contract says', () => {
    const problems = problemsAfter(({ props }) => {
      trigger(props('index-image'), 0).sourceArn = 'acs:ots:cn-hangzhou:1000000000000001:instance/fcsuite-dev/table/users';
    });
    expect(problems).toContain('resources.index-image.props.triggers[0].sourceArn: table users is not marked stream: true in functions/_shared/contracts/tables.ts');
  });

  it('reads the ROS template as ROS does: known properties, required ones, values, parameters and references', () => {
    const problems = problemsAfter(({ template: t, passed: p }) => {
      const r = t.Resources!;
      (r.ImagesTable!.Properties as Props).StreamSpecification = { EnableStream: true };
      delete (r.MediaBucket!.Properties as Props).BucketName;
      (r.IdempotencyTable!.Properties as Props).TimeToLive = 3600;
      (r.UsersTable!.Properties as Props).InstanceName = { Ref: 'OtsInstanceName' };
      r.IotReadingsQueue!.DependsOn = 'IotReadingsDLQ';
      (r.ProductSalesTable!.Properties as Props).PrimaryKey = ['a', 'b', 'c', 'd', 'e'].map((Name) => ({ Name, Type: 'STRING' }));
      (r.ImageSearchIndex!.Properties as Props).TableName = 'image_search_v2';
      const fields = (r.ImageSearchIndex!.Properties as { FieldSchemas: Props[] }).FieldSchemas;
      Object.assign(fields[0]!, { Analyzer: 'single_word', Sortable: true });
      fields[2]!.FieldType = 'KEYWORD';
      p.MediaBucketName = 'x';
      p.MediaBucket = 'Fcsuite_Media';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'infra/ros.yaml Resources.ImagesTable.Properties.StreamSpecification: not a property of ALIYUN::OTS::Table',
        'infra/ros.yaml Resources.MediaBucket.Properties.BucketName: required by ALIYUN::OSS::Bucket',
        'infra/ros.yaml Resources.IdempotencyTable.Properties.TimeToLive: must be -1 (never) or at least 86400 s (got 3600)',
        'infra/ros.yaml Resources.UsersTable.Properties.InstanceName: Ref to unknown parameter OtsInstanceName',
        'infra/ros.yaml Resources.IotReadingsQueue.DependsOn: IotReadingsDLQ is not a resource of the template',
        'infra/ros.yaml Resources.ProductSalesTable.Properties.PrimaryKey: needs 1 to 4 columns (got [{"Name":"a","Type":"STRING"},{"Name":"b","Type":"STRING"},{"Name":"c","Type":"STRING"},{"Name":"d","Type":"STRING"},{"Name":"e","Type":"STRING"}])',
        'infra/ros.yaml Resources.ImageSearchIndex: its table image_search_v2 is not declared in the template',
        'infra/ros.yaml Resources.ImageSearchIndex.Properties.FieldSchemas[0].Sortable: not a FieldSchemas property',
        'infra/ros.yaml Resources.ImageSearchIndex.Properties.FieldSchemas[0].Analyzer: must be one of SingleWord, MaxWord, MinWord, Split, Fuzzy (got "single_word")',
        'infra/ros.yaml Resources.ImageSearchIndex.Properties.FieldSchemas[2].FieldType: must be one of Long, Double, Boolean, Keyword, Text, Nested, GeoPoint, Date (got "KEYWORD")',
        'resources.infra.props.parameters.MediaBucketName: the template declares no such parameter (ROS refuses the stack)',
      ]),
    );
    expect(problemsAfter(({ passed: p }) => (p.MediaBucket = 'Fcsuite_Media'))).toContain(
      'infra/ros.yaml Resources.MediaBucket.Properties.BucketName: 3-63 lower-case letters, digits and -, not starting or ending with - (got "Fcsuite_Media")',
    );
  });

  // D144: each function's role holds what its code calls on what it names (derived from the sources), nothing more.
  it("gives each function's role exactly what its code calls, on what it names, and FC what its destinations need", () => {
    type Statement = { Action: string[]; Resource: unknown[] };
    const statements = (t: RosTemplate, policy: string) => ((t.Resources![policy]!.Properties as Props).PolicyDocument as { Statement: Statement[] }).Statement;
    const lacking = problemsAfter(({ template: t }) => {
      const rows = statements(t, 'AuthTokenPolicy').find((s) => s.Action.includes('ots:PutRow'))!;
      rows.Action = rows.Action.filter((a) => a !== 'ots:PutRow');
      const webhook = statements(t, 'PaymentWebhookPolicy');
      webhook.splice(webhook.findIndex((s) => s.Action.includes('mns:SendMessage')), 1);
    });
    expect(lacking).toEqual([
      'resources.auth-token.props.role: role fcsuite-dev-fn-auth-token lacks ots:PutRow on acs:ots:cn-hangzhou:1000000000000001:instance/fcsuite-dev/table/users (tablestore-table.ts:putRow with table users)',
      'resources.payment-webhook.props.role: role fcsuite-dev-fn-payment-webhook lacks mns:SendMessage on acs:mns:cn-hangzhou:1000000000000001:/queues/fcsuite-dev-payment-webhook-dlq/messages (its async destination)',
    ]);
    const broader = problemsAfter(({ template: t }) => {
      statements(t, 'AuthTokenPolicy').find((s) => s.Action.includes('ots:PutRow'))!.Action.push('ots:DeleteRow');
      statements(t, 'ProductInfoPolicy')[0]!.Resource.push({ 'Fn::Sub': 'acs:ots:${ALIYUN::Region}:${ALIYUN::AccountId}:instance/${OtsInstance}/table/users' });
      t.Resources!.IotEtlEverything = { Type: 'ALIYUN::RAM::AttachPolicyToRole', Properties: { PolicyName: 'AliyunOTSFullAccess', PolicyType: 'System', RoleName: 'fcsuite-dev-fn-iot-etl' } };
    });
    expect(broader).toEqual(
      expect.arrayContaining([
        'role fcsuite-dev-fn-auth-token: grants ots:DeleteRow (AuthTokenPolicy), which no code path of auth-token calls',
        'role fcsuite-dev-fn-product-info: grants access to acs:ots:cn-hangzhou:1000000000000001:instance/fcsuite-dev/table/users (ProductInfoPolicy), which product-info never name',
        'role fcsuite-dev-fn-iot-etl: grants ots:* (IotEtlEverything), which no code path of iot-etl calls',
        'role fcsuite-dev-fn-iot-etl: grants access to * (IotEtlEverything), which iot-etl never name',
      ]),
    );
    const untrusted = problemsAfter(({ template: t }) => {
      ((t.Resources!.AuthTokenRole!.Properties as Props).AssumeRolePolicyDocument as { Statement: { Principal: Props }[] }).Statement[0]!.Principal.Service = ['fnf.aliyuncs.com'];
    });
    expect(untrusted).toEqual(['resources.auth-token.props.role: role fcsuite-dev-fn-auth-token does not trust fc.aliyuncs.com, so FC cannot hand its credentials to the function']);
    const undeclared = problemsAfter(({ props }) => {
      props('demo-seed').role = 'acs:ram::1000000000000001:role/nobody';
      props('order-saga').roleArn = 'acs:ram::1000000000000001:role/fcsuite-dev-flows';
    });
    expect(undeclared).toEqual([
      'resources.demo-seed.props.role: role nobody is not declared in infra/ros.yaml',
      'resources.order-saga.props.roleArn: role fcsuite-dev-flows is not declared in infra/ros.yaml',
    ]);
  });

  it('keeps MNS queue and topic names stage-prefixed, so two stages in one account do not share them', () => {
    const problems = problemsAfter(({ template: t }) => {
      (t.Resources!.DeadLetterQueue!.Properties as Props).QueueName = 'dlq';
    });
    expect(problems).toContain("infra/ros.yaml Resources.DeadLetterQueue.Properties.QueueName: dlq does not start with the stage prefix fcsuite-dev- (Fn::Sub '${NamePrefix}-…'), so two stages in one account would share it");
  });

  it('knows the RAM action of every SDK call the adapters make, so a new call cannot skip the check', () => {
    expect(calls.filter((c) => !SDK_CALL_ACTIONS[c])).toEqual([]);
    const dir = tempDir('adapters-');
    try {
      dir.write('oss-object-store.ts', 'class X { async f() { await this.client.putBucketLifecycle("b", []); } }');
      const extra = sdkCallsIn(dir.path);
      expect(extra).toEqual(['oss-object-store.ts:putBucketLifecycle']);
      expect(platformFindings(preview, template, passed, extra).problems).toContain(
        'functions/_shared/aliyun/oss-object-store.ts: SDK call putBucketLifecycle has no RAM action in SDK_CALL_ACTIONS (scripts/validate/platform/permissions.ts)',
      );
    } finally {
      dir.cleanup();
    }
  });

  it("lets CloudFlow's role invoke exactly the saga's functions: none missing, none extra, no wildcard", () => {
    const policy = () => resources().FlowRoleInvokeSteps!.Properties as { PolicyDocument: { Statement: { Resource: unknown[] }[] } };
    expect(policy()).toBeDefined();
    const missing = problemsAfter(({ template: t }) => {
      const statement = (t.Resources!.FlowRoleInvokeSteps!.Properties as ReturnType<typeof policy>).PolicyDocument.Statement[0]!;
      statement.Resource = statement.Resource.filter((r) => !JSON.stringify(r).includes('-order-failed'));
    });
    expect(missing).toEqual(['resources.order-saga.props.roleArn: role fcsuite-dev-flow cannot invoke fcsuite-dev-order-failed, which the flow calls']);
    const extra = problemsAfter(({ template: t }) => {
      (t.Resources!.FlowRoleInvokeSteps!.Properties as ReturnType<typeof policy>).PolicyDocument.Statement[0]!.Resource.push({ 'Fn::Sub': 'acs:fc:${ALIYUN::Region}:${ALIYUN::AccountId}:functions/${NamePrefix}-payment-sandbox' });
    });
    expect(extra).toEqual(['resources.order-saga.props.roleArn: role fcsuite-dev-flow may invoke fcsuite-dev-payment-sandbox, which no flow calls']);
    const broad = problemsAfter(({ template: t }) => {
      t.Resources!.FlowRoleAnyFunction = { Type: 'ALIYUN::RAM::AttachPolicyToRole', Properties: { PolicyName: 'AliyunFCInvocationAccess', PolicyType: 'System', RoleName: { Ref: 'FlowRole' } } };
    });
    expect(broad).toEqual([expect.stringMatching(/^resources\.order-saga\.props\.roleArn: role fcsuite-dev-flow may invoke every function; least privilege is fc:InvokeFunction on fcsuite-dev-charge-payment, /)]);
  });

  it('accepts a trigger role of the template only if its event source trusts it and it may invoke the function', () => {
    const problems = problemsAfter(({ props, template: t }) => {
      trigger(props('catalog-image'), 0).invocationRole = 'acs:ram::1000000000000001:role/fcsuite-dev-oss-trigger';
      trigger(props('make-thumbnail'), 0).invocationRole = 'acs:ram::1000000000000001:role/fcsuite-dev-fn-image-files';
      t.Resources!.OssTriggerRole = {
        Type: 'ALIYUN::RAM::Role',
        Properties: { RoleName: 'fcsuite-dev-oss-trigger', AssumeRolePolicyDocument: { Version: '1', Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: ['oss.aliyuncs.com'] } }] } },
      };
      trigger(props('index-image'), 0).invocationRole = 'acs:ram::1000000000000001:role/somebody-elses-role';
    });
    expect(problems).toEqual([
      'resources.make-thumbnail.props.triggers[0].invocationRole: role fcsuite-dev-fn-image-files does not trust oss.aliyuncs.com',
      'resources.make-thumbnail.props.triggers[0].invocationRole: role fcsuite-dev-fn-image-files may not invoke fcsuite-dev-make-thumbnail',
      'resources.catalog-image.props.triggers[0].invocationRole: role fcsuite-dev-oss-trigger may not invoke fcsuite-dev-catalog-image',
      "resources.index-image.props.triggers[0].invocationRole: role somebody-elses-role is neither declared in infra/ros.yaml nor FC's aliyuntablestorestreamnotificationrole",
    ]);
  });
});

describe("deploy readiness: a project of one's own is told in its own terms (D165)", () => {
  // `npm run validate -- -t`: the project's template lives at its own path and its `ros` resource has its own
  // name; every problem points there, not at this repository's infra/ros.yaml and `infra`.
  const ACCOUNT = '1000000000000001';
  const role = (name: string) => `acs:ram::${ACCOUNT}:role/${name}`;
  const TEMPLATE = `ROSTemplateFormatVersion: '2015-09-01'
Parameters:
  Size: { Type: Number }
  NoDefault: { Type: String }
Resources:
  Jobs:
    Type: ALIYUN::MNS::Queue
    DependsOn: Ghost
    Properties: { QueueName: jobs, Bogus: 1 }
  Search:
    Type: ALIYUN::OTS::SearchIndex
    Properties: { IndexName: i, InstanceName: inst, TableName: t, FieldSchemas: [{ FieldName: a, FieldType: Keyword }] }
`;
  const project = (withTemplate: boolean): Preview => ({
    vars: { region: 'cn-hangzhou', accountId: ACCOUNT, prefix: 'mine' },
    resources: {
      ...(withTemplate ? { stack: { component: 'ros', props: { region: 'cn-hangzhou', name: 'mine', template: './deploy/stack.yaml', parameters: { Missing: 'x', Size: 'big' } } } } : {}),
      worker: {
        component: 'fc3',
        props: {
          region: 'cn-hangzhou', functionName: 'mine-worker', runtime: 'nodejs20', handler: 'index.handler', code: './code/worker', role: role('nobody'),
          triggers: [{ triggerName: 'up', triggerType: 'oss', sourceArn: `acs:oss:cn-hangzhou:${ACCOUNT}:mine-files`, invocationRole: role('somebody'), triggerConfig: { events: ['oss:ObjectCreated:*'] } }],
        },
      },
      saga: { component: 'flow', props: { region: 'cn-hangzhou', name: 'mine-saga', roleArn: role('flowless'), definition: { Type: 'StateMachine', States: [] } } },
    },
  });
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('own-terms-');
    dir.write('deploy/stack.yaml', TEMPLATE);
  });
  afterEach(() => dir.cleanup());

  it('names its template file and its ros resource in every template and role problem', () => {
    const { problems } = platformFindingsAt(project(true), dir.path);
    expect(problems).toEqual(
      expect.arrayContaining([
        'resources.stack.props.parameters.Missing: the template declares no such parameter (ROS refuses the stack)',
        'deploy/stack.yaml Parameters.NoDefault: has no Default and s.yaml does not pass it',
        'resources.stack.props.parameters.Size: "big" is not a Number',
        'deploy/stack.yaml Resources.Jobs.DependsOn: Ghost is not a resource of the template',
        'deploy/stack.yaml Resources.Jobs.Properties.Bogus: not a property of ALIYUN::MNS::Queue',
        'deploy/stack.yaml Resources.Search: its table t is not declared in the template',
        "deploy/stack.yaml Resources.Jobs.Properties.QueueName: jobs does not start with the stage prefix mine- (Fn::Sub '${NamePrefix}-…'), so two stages in one account would share it",
        'resources.worker.props.role: role nobody is not declared in deploy/stack.yaml',
        'resources.saga.props.roleArn: role flowless is not declared in deploy/stack.yaml',
        "resources.worker.props.triggers[0].invocationRole: role somebody is neither declared in deploy/stack.yaml nor FC's aliyunosseventnotificationrole",
      ]),
    );
    expect(problems.filter((p) => p.includes('infra/ros.yaml') || p.includes('resources.infra.'))).toEqual([]);
  });

  it('without a ROS template, the roles it names are steps for the account, not a file it does not have', () => {
    // Nothing in the project can create them: `s deploy` uses roles that already exist in the account.
    const { problems, manualSteps } = platformFindingsAt(project(false), dir.path);
    expect(problems.filter((p) => /role (nobody|flowless|somebody)/.test(p))).toEqual([]);
    expect(manualSteps).toEqual(
      expect.arrayContaining([
        `RAM role nobody must exist in account ${ACCOUNT} and trust fc.aliyuncs.com: the project has no ROS template to declare it`,
        `RAM role flowless must exist in account ${ACCOUNT} and trust fnf.aliyuncs.com: the project has no ROS template to declare it`,
        `RAM role somebody must exist in account ${ACCOUNT}, trust oss.aliyuncs.com and may invoke mine-worker: the project has no ROS template to declare it`,
      ]),
    );
  });
});

describe('deploy readiness: the environment a deploy renders with', () => {
  // The runbook has the deployer export AccountID; every ARN s.yaml renders then names that account. The local
  // tools (npm start, build — npm run deploy's first step —, invoke) run in that same shell: they render it as the
  // local account, as they render ${config('AccountID')}, instead of refusing the flow's task ARNs.
  it('validates with the real account exported, as npm run deploy runs it', async () => {
    const env = { ...ENV, AccountID: '1234567890123456', API_DOMAIN: 'api.example.org' };
    const locally = loadSpec(join(ROOT, 's.yaml'), env);
    expect(locally.flows.map((flow) => flow.name)).toEqual(['fcsuite-dev-order-saga']);
    expect(JSON.stringify(locally.rendered)).not.toContain('1234567890123456');
    expect(JSON.stringify(locally.rendered)).toContain(':1000000000000001:');
    const { local, localEnv, deploy } = await renderingsFor(ROOT, env);
    expect(localEnv.AccountID).toBeUndefined();
    expect(renderingDifferences(local, loadSpec(join(ROOT, 's.yaml'), localEnv))).toEqual([]);
    expect(deploy.vars.accountId).toBe('1234567890123456');
    const { template, passed } = infraOf(deploy, ROOT);
    const { problems, manualSteps } = platformFindings(deploy, template, passed, sdkCallsIn(ADAPTER_DIR(ROOT)));
    expect(problems).toEqual([]);
    expect(manualSteps).toContain('RAM role aliyunosseventnotificationrole (FC\'s role for oss triggers) must exist in account 1234567890123456');
    expect(environmentProblems(env, true)).toEqual([]);
  });

  it('needs the real account for a deploy, and a stage of its own names and secrets', () => {
    expect(environmentProblems({}, false)).toEqual([]);
    expect(environmentProblems({ AccountID: '1000000000000001', API_DOMAIN: 'api.example.org' }, true)).toEqual([expect.stringMatching(/^AccountID must be exported for a deploy: /)]);
    expect(environmentProblems({ AccountID: '1234567890123456' }, true)).toEqual([expect.stringMatching(/^API_DOMAIN must be exported for a deploy: /)]);
    expect(environmentProblems({ AccountID: '1234567890123456', API_DOMAIN: 'api.example.org' }, true)).toEqual([]);
    expect(environmentProblems({ STAGE: 'prod', JWT_SECRET: 's', IOT_SECRET_KEY: 'k'.repeat(32), PAYMENT_WEBHOOK_SECRET: 'w'.repeat(32) }, false)).toEqual([
      "MEDIA_BUCKET must be set for stage prod: its default names the dev stage's resource",
      "OTS_INSTANCE must be set for stage prod: its default names the dev stage's resource",
      expect.stringMatching(/^WEBSITE_ORIGIN must be set for stage prod: /),
    ]);
    expect(environmentProblems({ STAGE: 'prod', MEDIA_BUCKET: 'b', OTS_INSTANCE: 'i', WEBSITE_ORIGIN: 'https://shop.example.org' }, false)).toEqual([
      'JWT_SECRET must be set for stage prod (the default is for local use only)',
      expect.stringMatching(/^IOT_SECRET_KEY \(at least 32 characters\) must be set for stage prod/),
      // Its default is in s.yaml for all to read: with it anyone could sign a charge.succeeded webhook (D166).
      expect.stringMatching(/^PAYMENT_WEBHOOK_SECRET \(at least 32 characters\) must be set for stage prod/),
    ]);
  });
});

describe('deploy readiness: what a code folder ships', () => {
  const dir = tempDir('bundle-rules-');
  afterAll(() => dir.cleanup());

  /** A code folder whose bundle's source map lists `sources` and whose node_modules holds `packages`. */
  function codeFolder(name: string, sources: string[], packages: string[], requireSharp = false): string {
    const code = join(dir.path, name);
    mkdirSync(code, { recursive: true });
    writeFileSync(join(code, 'index.js'), requireSharp ? 'exports.handler = async () => require("sharp");' : 'exports.handler = async () => 1;');
    writeFileSync(join(code, 'index.js.map'), JSON.stringify({ version: 3, sources, mappings: '' }));
    for (const p of packages) {
      mkdirSync(join(code, 'node_modules', p, 'lib'), { recursive: true });
      writeFileSync(join(code, 'node_modules', p, 'package.json'), JSON.stringify({ name: p, ...(p === '@img/sharp-linux-x64' ? { config: { glibc: '>=2.31' } } : {}) }));
    }
    return code;
  }

  it('names dev dependencies, SQLite, test or local-cloud code in a bundle, and a sharp FC cannot load', () => {
    const clean = codeFolder('clean', ['../../functions/auth-token/handler.ts', '../../node_modules/zod/index.js'], []);
    const dirty = codeFolder('dirty', ['../../functions/x/handler.ts', '../../node_modules/better-sqlite3/lib/index.js', '../../test/helpers/memory-table.ts', '../../scripts/local/cloud.ts', '../../node_modules/@aws-sdk/client-s3/index.js'], ['esbuild']);
    const noBinary = codeFolder('no-binary', ['../../functions/make-thumbnail/handler.ts'], ['sharp'], true);
    const newGlibc = codeFolder('new-glibc', ['../../functions/make-thumbnail/handler.ts'], ['sharp', '@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64'], true);
    writeFileSync(join(newGlibc, 'node_modules', '@img', 'sharp-linux-x64', 'lib', 'sharp-linux-x64-0.35.5.node'), '');
    const targets = [clean, dirty, noBinary, newGlibc].map((codeDir) => ({ resource: codeDir.split('/').pop()!, codeDir }));
    expect(bundleContentProblems(targets, ['esbuild', '@aws-sdk/client-s3'])).toEqual([
      'dirty: bundles better-sqlite3, a dev dependency or local-only package',
      'dirty: bundles code from test/, which only the local cloud or tests may use',
      'dirty: bundles code from scripts/, which only the local cloud or tests may use',
      'dirty: bundles @aws-sdk/client-s3, a dev dependency or local-only package',
      'dirty: ships node_modules/esbuild, a dev dependency or local-only package',
      'no-binary: ships no @img/sharp-linux-x64 with its libvips: build on linux-x64 (glibc) so FC\'s runtime can load sharp',
      "new-glibc: @img/sharp-linux-x64 needs glibc 2.31; FC's nodejs20 runtime has 2.28",
    ]);
  });

  it('counts as dev-only a devDependency that no runtime dependency needs, however deep', () => {
    // A test may import what an SDK is built on (so declares it); the SDK's bundle still ships it, rightly.
    const project = join(dir.path, 'project');
    const manifest = (name: string, dependencies: Record<string, string> = {}) => {
      mkdirSync(join(project, 'node_modules', name), { recursive: true });
      writeFileSync(join(project, 'node_modules', name, 'package.json'), JSON.stringify({ name, dependencies }));
    };
    manifest('sdk', { '@x/core': '^1' });
    manifest('@x/core', { signer: '^1' });
    manifest('signer');
    manifest('jest');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ dependencies: { sdk: '^1' }, devDependencies: { '@x/core': '^1', signer: '^1', jest: '^1' } }));
    expect(devOnlyDependencies(project)).toEqual(['jest']);
    expect(devOnlyDependencies(join(dir.path, 'no-such-project'))).toEqual([]);
  });

  it('needs every hook s.yaml names exported by the bundle, not only the handler', () => {
    const code = join(dir.path, 'hooks');
    mkdirSync(code, { recursive: true });
    writeFileSync(join(code, 'index.js'), 'exports.handler = async () => 1;');
    const fn = { resource: 'product-info', codeDir: code, handler: 'index.handler', initializer: { handler: 'index.initializer', timeout: 10 } };
    expect(bundleProblems({ functions: [fn] } as unknown as AppSpec)).toEqual(['product-info: index.js does not export initializer']);
  });
});
