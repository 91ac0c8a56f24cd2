/**
 * The roles the platform acts with on a function's or resource's behalf (D152): a trigger's invocationRole (trust
 * of the source service, then fc:InvokeFunction on the function), a function's role for its async destinations,
 * a flow's role for its Task functions. Undeclared roles are not checked. The suite's own s.yaml and
 * infra/ros.yaml have no gap.
 */
import { join } from 'node:path';
import { LOCAL_ACCOUNT_ID } from '../../scripts/local/credentials';
import { flowTaskTargets, OnBehalfAccess, roleNameOfArn, type OnBehalfDenial } from '../../scripts/local/ram/on-behalf';
import type { RoleSpec } from '../../scripts/local/ram/policy';
import { loadSpec } from '../../scripts/local/spec/load';
import type { FunctionSpec, TriggerSpec } from '../../scripts/local/spec/model';

const arn = (role: string) => `acs:ram::${LOCAL_ACCOUNT_ID}:role/${role}`;
const fnArn = (name: string) => `acs:fc:cn-hangzhou:${LOCAL_ACCOUNT_ID}:functions/${name}`;

const roles: RoleSpec[] = [
  { name: 'oss-invoker', trustedServices: ['oss.aliyuncs.com'], statements: [{ effect: 'Allow', actions: ['fc:InvokeFunction'], resources: [fnArn('thumb')] }] },
  { name: 'fn', trustedServices: ['fc.aliyuncs.com'], statements: [{ effect: 'Allow', actions: ['mns:SendMessage'], resources: [`acs:mns:cn-hangzhou:${LOCAL_ACCOUNT_ID}:/queues/dlq/messages`] }, { effect: 'Deny', actions: ['fc:*'], resources: ['*'] }] },
  { name: 'flow', trustedServices: ['fnf.aliyuncs.com'], statements: [{ effect: 'Allow', actions: ['fc:InvokeFunction'], resources: [`${fnArn('step')}/*`] }] },
];

const oss = (role: string): TriggerSpec => ({ type: 'oss', name: 'up', bucket: 'b', events: ['oss:ObjectCreated:*'], prefix: '', suffix: '', declared: { triggerConfig: {}, invocationRole: arn(role) } });
const fn = (name: string, more: Partial<FunctionSpec> = {}) => ({ name, resource: name, triggers: [], ...more }) as unknown as FunctionSpec;

describe('OnBehalfAccess', () => {
  const seen: OnBehalfDenial[] = [];
  const access = new OnBehalfAccess({ region: 'cn-hangzhou', infra: { roles } as never }, (d) => seen.push(d));

  it("lets a trigger's source invoke what its role allows, and refuses the rest naming role, action and resource", () => {
    expect(access.trigger(fn('thumb'), oss('oss-invoker'))).toBeUndefined();
    expect(access.trigger(fn('other'), oss('oss-invoker'))).toMatchObject({ role: 'oss-invoker', action: 'fc:InvokeFunction', resource: fnArn('other'), kind: 'ImplicitDeny' });
  });

  it('refuses a role the source service may not assume, before any policy', () => {
    const tablestore: TriggerSpec = { type: 'tablestore', name: 's', instance: 'i', table: 't', declared: { triggerConfig: {}, invocationRole: arn('OSS-INVOKER') } };
    expect(access.trigger(fn('thumb'), tablestore)).toMatchObject({ action: 'sts:AssumeRole', resource: arn('oss-invoker'), message: expect.stringContaining('does not trust ots.aliyuncs.com') as unknown });
  });

  it('does not check roles no template declares, nor triggers without a role or a role-less type', () => {
    expect(access.trigger(fn('other'), oss('aliyunosseventnotificationrole'))).toBeUndefined();
    expect(access.trigger(fn('other'), { ...oss('x'), declared: { triggerConfig: {} } })).toBeUndefined();
    expect(access.trigger(fn('other'), { type: 'timer', name: 't', cronExpression: '@every 1m', enable: true, payload: '', declared: { triggerConfig: {}, invocationRole: arn('fn') } })).toBeUndefined();
    expect(access.destination(fn('x', { role: 'undeclared' }), { kind: 'fc', functionName: 'y', arn: '' })).toBeUndefined();
    expect(access.flowTask(arn('undeclared'), 'step')).toBeUndefined();
  });

  it("holds destinations to the function's role: a queue it may send to, a function a Deny forbids, a topic it lacks", () => {
    const f = fn('job', { role: 'fn' });
    expect(access.destination(f, { kind: 'mns-queue', queue: 'dlq', arn: '' })).toBeUndefined();
    expect(access.destination(f, { kind: 'fc', functionName: 'sink', arn: '' })).toMatchObject({ action: 'fc:InvokeFunction', kind: 'ExplicitDeny' });
    expect(access.destination(f, { kind: 'mns-topic', topic: 't', arn: '' })).toMatchObject({ action: 'mns:PublishMessage', resource: `acs:mns:cn-hangzhou:${LOCAL_ACCOUNT_ID}:/topics/t/messages` });
  });

  it("holds a flow's tasks to its role, qualifier included", () => {
    expect(access.flowTask(arn('flow'), 'step', 'LATEST')).toBeUndefined();
    expect(access.flowTask(arn('flow'), 'step')).toMatchObject({ resource: fnArn('step') });
    expect(flowTaskTargets('{"a":"acs:fc:cn-hangzhou:1:functions/step/LATEST","b":"acs:fc:::functions/other"}')).toEqual([{ functionName: 'step', qualifier: 'LATEST' }, { functionName: 'other' }]);
    expect(roleNameOfArn('acs:ram::1:role/My-Role')).toBe('My-Role');
    expect(roleNameOfArn('not-an-arn')).toBeUndefined();
  });

  it('records each refusal for the console, newest first, and hands it on', () => {
    const denial = access.trigger(fn('other'), oss('oss-invoker'))!;
    access.refuse(denial, 'first', 'lost');
    access.refuse(denial, 'second', 'lost');
    expect(access.denials().map((d) => d.caller).slice(0, 2)).toEqual(['second', 'first']);
    expect(seen.map((d) => d.caller)).toEqual(['first', 'second']);
  });
});

describe("the suite's own roles", () => {
  it('leave nothing the platform does on their behalf refused (trigger roles, destinations, the saga role)', () => {
    const spec = loadSpec(join(__dirname, '..', '..', 's.yaml'), {});
    const access = new OnBehalfAccess(spec, () => undefined);
    expect(access.gaps(spec)).toEqual([]);
    // The saga's role is declared and checked; its tasks name functions with a qualifier.
    const saga = spec.flows.find((f) => f.name.endsWith('-order-saga'))!;
    const targets = flowTaskTargets(saga.definition);
    expect(targets.length).toBeGreaterThan(5);
    for (const t of targets) expect(access.flowTask(saga.roleArn, t.functionName, t.qualifier)).toBeUndefined();
    expect(access.flowTask(saga.roleArn, 'fcsuite-dev-auth-token')).toMatchObject({ action: 'fc:InvokeFunction' });
    // Destinations are checked against declared function roles.
    const withDestinations = spec.functions.filter((f) => f.asyncInvokeConfig?.onFailure);
    expect(withDestinations.length).toBeGreaterThan(0);
    for (const f of withDestinations) expect(access.destination(f, f.asyncInvokeConfig!.onFailure!)).toBeUndefined();
  });
});
