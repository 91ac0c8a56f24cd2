/**
 * What the platform does on a function's or a resource's behalf, held to the role it does it with (D152). D144
 * held a function's own calls to its role; these are the calls nobody's code makes:
 *
 * - a trigger's event source invoking its function with the trigger's `invocationRole` (OSS, MNS topic,
 *   TableStore): the role must be assumable by that service and allow `fc:InvokeFunction` on the function. FC's
 *   FAQ ("a trigger cannot trigger function execution") names a deleted or under-privileged trigger role as a
 *   cause: the trigger exists, its events simply do not invoke the function — a run-time failure, not a refused
 *   CreateTrigger;
 * - FC sending an async invocation's result to its destination with the function's role (`mns:SendMessage`,
 *   `mns:PublishMessage`, `fc:InvokeFunction`: FC's result-callback page, "Required permission");
 * - CloudFlow invoking a Task's function with the flow's role (`fc:InvokeFunction`, CloudFlow's execution-role
 *   page): the task fails with FC's error code, `FC.AccessDenied`, which Retry and Catch can match.
 *
 * Only roles an app's ROS template declares are checked: an undeclared one (FC's default roles such as
 * AliyunOSSEventNotificationRole) has policies that live in the account alone, as for functions (D144). A
 * function without any role has no credentials for FC to send its async results with (D157).
 */
import { LOCAL_ACCOUNT_ID } from '../credentials';
import type { AppSpec, DestinationSpec, FunctionSpec, TriggerSpec } from '../spec/model';
import { AccessControl, type Denial } from './access';

/** The service that assumes each kind of trigger's `invocationRole` to invoke the function. */
export const TRIGGER_SERVICES: Partial<Record<TriggerSpec['type'], { service: string; label: string }>> = {
  oss: { service: 'oss.aliyuncs.com', label: 'OSS' },
  mns_topic: { service: 'mns.aliyuncs.com', label: 'MNS' },
  tablestore: { service: 'ots.aliyuncs.com', label: 'TableStore' },
};

/** One refusal, as the console lists it (`GET /_local/api/denials`). */
export interface OnBehalfDenial extends Denial {
  /** Who acted, e.g. `OSS trigger uploads of fx-thumb`, `onFailure destination of fx-job`, `flow fx-saga`. */
  caller: string;
  /** What became of the work, e.g. `the event was not delivered: fx-thumb did not run`. */
  outcome: string;
  at: number;
}

/** `acs:ram::<account>:role/<name>` → `<name>` (RAM role names are case-insensitive). */
export function roleNameOfArn(arn: string | undefined): string | undefined {
  return arn ? /^acs:ram::[^:]*:role\/(.+)$/i.exec(arn.trim())?.[1] : undefined;
}

/** Function name and qualifier of every `acs:fc:…:functions/<name>[/<qualifier>]` a flow definition names. */
export function flowTaskTargets(definition: string): { functionName: string; qualifier?: string }[] {
  const found = new Map<string, { functionName: string; qualifier?: string }>();
  for (const m of definition.matchAll(/acs:fc:[^:\s"']*:[^:\s"']*:functions\/([\w-]+)(?:\/([\w.$-]+))?/g)) {
    found.set(`${m[1]}/${m[2] ?? ''}`, { functionName: m[1]!, ...(m[2] ? { qualifier: m[2] } : {}) });
  }
  return [...found.values()];
}

/** A refusal in one line, as the terminal prints it. */
export function denialLine(d: OnBehalfDenial): string {
  return `${d.caller}: ${d.message} ${d.outcome}.`;
}

const HISTORY = 200;

export class OnBehalfAccess {
  private readonly access: AccessControl;
  private readonly history: OnBehalfDenial[] = [];
  private readonly region: string;
  private readonly account = LOCAL_ACCOUNT_ID;

  /** `onDenial`: every refusal as it happens (the terminal prints it; default: a process warning). */
  constructor(
    spec: Pick<AppSpec, 'region' | 'infra'>,
    private readonly onDenial: (denial: OnBehalfDenial) => void = (d) => process.emitWarning(denialLine(d), 'AccessDenied'),
  ) {
    this.region = spec.region;
    this.access = new AccessControl({ roles: spec.infra.roles, region: spec.region, accountId: this.account });
  }

  functionArn(name: string, qualifier?: string): string {
    return `acs:fc:${this.region}:${this.account}:functions/${name}${qualifier ? `/${qualifier}` : ''}`;
  }

  /** May the trigger's event source invoke `fn` with the trigger's role? Undefined: yes (or not knowable locally). */
  trigger(fn: FunctionSpec, trigger: TriggerSpec): Denial | undefined {
    const source = TRIGGER_SERVICES[trigger.type];
    const role = this.access.declaredRole(roleNameOfArn(trigger.declared?.invocationRole));
    if (!source || !role) return undefined;
    if (!role.trustedServices.some((s) => s.toLowerCase() === source.service)) {
      const resource = `acs:ram::${this.account}:role/${role.name}`;
      return { role: role.name, action: 'sts:AssumeRole', resource, kind: 'ImplicitDeny', message: `RAM role ${role.name} does not trust ${source.service}, so ${source.label} cannot assume it (sts:AssumeRole on ${resource}; its AssumeRolePolicyDocument, infra/ros.yaml).` };
    }
    return this.access.checkRole(role.name, 'fc:InvokeFunction', this.functionArn(fn.name));
  }

  /**
   * May FC send `fn`'s async result to `destination` with `fn`'s role? A function without a role has none to send
   * it with (D157): FC's result-callback page lists the permission each destination needs of the function's role,
   * and FC obtains credentials only by assuming that role.
   */
  destination(fn: FunctionSpec, destination: DestinationSpec): Denial | undefined {
    const { action, resource } = this.destinationCall(destination);
    if (!fn.role) {
      return { role: '(none)', action, resource, kind: 'ImplicitDeny', message: `function ${fn.name} has no role, so FC has no credentials to call ${action} on ${resource} with (give it a role in s.yaml whose policies allow it).` };
    }
    const role = this.access.declaredRole(fn.role);
    return role ? this.access.checkRole(role.name, action, resource) : undefined;
  }

  private destinationCall(destination: DestinationSpec): { action: string; resource: string } {
    if (destination.kind === 'fc') return { action: 'fc:InvokeFunction', resource: this.functionArn(destination.functionName) };
    const mns = `acs:mns:${this.region}:${this.account}:`;
    if (destination.kind === 'mns-queue') return { action: 'mns:SendMessage', resource: `${mns}/queues/${destination.queue}/messages` };
    return { action: 'mns:PublishMessage', resource: `${mns}/topics/${destination.topic}/messages` };
  }

  /** May CloudFlow invoke a Task's function with the flow's role (`roleArn`)? */
  flowTask(roleArn: string | undefined, functionName: string, qualifier?: string): Denial | undefined {
    const role = this.access.declaredRole(roleNameOfArn(roleArn));
    return role ? this.access.checkRole(role.name, 'fc:InvokeFunction', this.functionArn(functionName, qualifier)) : undefined;
  }

  /** Records a refusal where the console shows it and hands it to `onDenial`; answers it. */
  refuse(denial: Denial, caller: string, outcome: string): OnBehalfDenial {
    const entry = { ...denial, caller, outcome, at: Date.now() };
    this.history.push(entry);
    if (this.history.length > HISTORY) this.history.shift();
    this.onDenial(entry);
    return entry;
  }

  /** The latest refusals, newest first. */
  denials(limit = HISTORY): OnBehalfDenial[] {
    return this.history.slice(-limit).reverse();
  }

  /**
   * What will be refused, known from the spec alone: printed at start, since the cloud's own answer comes only
   * when the event, result or task happens (and in the cloud, often nowhere a developer looks).
   */
  gaps(spec: Pick<AppSpec, 'functions' | 'flows'>): string[] {
    const found: string[] = [];
    for (const fn of spec.functions) {
      for (const trigger of fn.triggers) {
        const denial = this.trigger(fn, trigger);
        if (denial) found.push(`${trigger.type} trigger ${trigger.name} of ${fn.name}: ${denial.message} Its events will not invoke the function.`);
      }
      for (const kind of ['onSuccess', 'onFailure'] as const) {
        const destination = fn.asyncInvokeConfig?.[kind];
        const denial = destination && this.destination(fn, destination);
        if (denial) found.push(`${kind} destination of ${fn.name}: ${denial.message} Its async results will not reach ${destination.arn}.`);
      }
    }
    for (const flow of spec.flows) {
      for (const target of flowTaskTargets(flow.definition)) {
        const denial = this.flowTask(flow.roleArn, target.functionName, target.qualifier);
        if (denial) found.push(`flow ${flow.name}: ${denial.message} Its tasks calling ${target.functionName} will fail with FC.AccessDenied.`);
      }
    }
    return found;
  }
}
