import { SpecError } from './errors';

/**
 * Every s.yaml key the local cloud accepts, and what it does locally. A key not listed is refused with
 * its path: nothing in s.yaml is silently ignored. `docs/fidelity.md` is checked against these tables.
 *
 * - `emulated`: the local cloud implements the behaviour.
 * - `inert`: accepted, with no local effect by nature (there is no RAM, SLS or VPC on a laptop); the note says why.
 */
export type KeyRule = {
  status: 'emulated' | 'inert';
  note: string;
  /** Rules for the keys of an object value. */
  keys?: KeyRules;
  /** Rule for each element of an array of objects. */
  items?: KeyRules;
  /** Any keys allowed (e.g. a map of environment variables). */
  open?: boolean;
  /** Keys of an object value refused on purpose, with the reason a user sees. */
  refused?: Record<string, string>;
};
export type KeyRules = Record<string, KeyRule>;

const e = (note: string, more: Partial<KeyRule> = {}): KeyRule => ({ status: 'emulated', note, ...more });
const inert = (note: string, more: Partial<KeyRule> = {}): KeyRule => ({ status: 'inert', note, ...more });

/** Keys refused on purpose, with the reason a user sees. */
export const REFUSED_FC3_KEYS: Record<string, string> = {
  layers: 'layers are not emulated: bundle the dependency into the function instead (esbuild does; Python: pip install -t into the code folder, or PYTHONPATH=/code/python); a custom runtime uses the host toolchain and its code folder',
  nasConfig: 'NAS mounts are not emulated',
  ossMountConfig: 'OSS mounts are not emulated; use the ObjectStore port',
  customContainerConfig: 'custom containers need Docker, which the local cloud does not use',
  gpuConfig: 'GPU functions are not emulated',
  provisionConfig: 'provisioned instances are not emulated (local instances stay warm anyway)',
  scalingConfig: 'scaling policies are not emulated',
  customDNS: 'custom DNS is not emulated',
  sessionAffinity: 'session affinity is not emulated',
  sessionAffinityConfig: 'session affinity is not emulated',
};

export const FC3_PROPS: KeyRules = {
  region: e('the region in context.region, FC_REGION and ARNs'),
  functionName: e('the name used by InvokeFunction, routes and destinations'),
  description: inert('documentation only'),
  runtime: e('nodejs20 and nodejs18 run in the local Node.js (version differences are not emulated); python3.12/3.10/3.9/python3 run on the host python3, not FC\'s image (D131); custom.debian12/11/10 and custom run the server command on the host (D123); custom-container is refused'),
  code: e('the folder that deploys: bundled from functions/<resource>/handler.ts, or run as it is when there is no such source'),
  handler: e('`<file>.<export>` loaded from the code folder (Python: `<file>.<function>` of `<file>.py`; custom runtimes: any text, sent as x-fc-function-handler)'),
  memorySize: e('caps the instance heap (worker resourceLimits); exceeding it fails the invocation like FC (custom and Python runtimes: not enforced)'),
  timeout: e('an invocation running longer is stopped and reported as FC does'),
  cpu: inert('CPU share is not emulated'),
  diskSize: inert('disk quota is not emulated'),
  instanceConcurrency: e('custom runtimes: requests one instance serves at once (1–200); FC ignores it for built-in runtimes, and so does the local cloud'),
  customRuntimeConfig: e('custom runtimes: the server started as each instance (D123)', {
    keys: {
      command: e('the program, run on the host in the code folder; `/code/…` means the code folder (default /code/bootstrap)'),
      args: e('its arguments, after command'),
      port: e('checked (1–65535); locally each instance listens on the free port in FC_SERVER_PORT / FC_CUSTOM_LISTEN_PORT'),
      healthCheckConfig: e('readiness check before the first request', {
        keys: {
          httpGetUrl: e('path answered 2xx when ready'),
          initialDelaySeconds: e('wait after start before checking'),
          periodSeconds: e('interval between checks'),
          timeoutSeconds: e('timeout of one check'),
          failureThreshold: e('failed checks in a row before the instance fails to start'),
          successThreshold: e('passed checks in a row before it is ready'),
        },
      }),
    },
  }),
  environmentVariables: e('set in the instance environment; endpoint variables are pointed at the emulators', { open: true }),
  role: e("the function's temporary credentials are its role's: the emulators hold them to the role's policies in the ROS template (D144); without a role the function gets none (D157)"),
  logConfig: inert('logs go to the console and /_local/ instead of SLS', { open: true }),
  vpcConfig: inert('no VPC locally: functions reach the emulators directly', { open: true }),
  internetAccess: inert('network access is not restricted locally'),
  tracingConfig: inert('tracing is not emulated', { open: true }),
  tags: inert('tags have no local effect', { open: true }),
  instanceLifecycleConfig: e('initializer runs once per instance before its first request; preStop runs when an instance is retired', {
    keys: {
      initializer: e('initializer hook', { keys: { handler: e('hook export'), timeout: e('hook timeout (s)') } }),
      preStop: e('preStop hook', { keys: { handler: e('hook export'), timeout: e('hook timeout (s)') } }),
    },
    refused: { preFreeze: 'FC 3.0 has no PreFreeze hook (FC 2.0 had one); an instance is frozen between requests without a call' },
  }),
  concurrencyConfig: e('reservedConcurrency caps concurrent requests; more concurrent sync calls get 429 ResourceThrottled', {
    keys: { reservedConcurrency: e('maximum concurrent requests (instances up to the local cap, the rest wait in line)') },
  }),
  asyncInvokeConfig: e('asynchronous invocations: retries, event age and destinations', {
    keys: {
      maxAsyncRetryAttempts: e('retries after a function error (default 3)'),
      maxAsyncEventAgeInSeconds: e('older events are dropped with condition EventExpired (default 18000)'),
      asyncTask: e('true: each async invocation is a task, tracked in the local cloud\'s database (GetAsyncTask, ListAsyncTasks, StopAsyncTask; a caller\'s x-fc-async-task-id is deduplicated with 409) (D159)'),
      qualifier: inert('only LATEST exists locally'),
      destinationConfig: e('onSuccess / onFailure destinations', {
        keys: {
          onSuccess: e('destination on success', { keys: { destination: e('acs:fc function, or acs:mns queue or topic ARN') } }),
          onFailure: e('destination after the last retry', { keys: { destination: e('acs:fc function, or acs:mns queue or topic ARN') } }),
        },
      }),
    },
  }),
  customDomain: e('the route is served by the local gateway', {
    keys: {
      domainName: inert('every route is served on the local gateway host'),
      protocol: inert('the local gateway speaks HTTP'),
      route: e('one route', { keys: { path: e('exact or `/*` wildcard path'), methods: e('allowed methods'), qualifier: inert('only LATEST') } }),
    },
  }),
  triggers: e('see the trigger rules', { items: {} }),
};

export const TRIGGER_COMMON: KeyRules = {
  triggerName: e('trigger name (timers: the name in the timer event and in "run now")'),
  triggerType: e('http, timer, oss, tablestore, mns_topic or eventbridge (MNS source)'),
  description: inert('documentation only'),
  qualifier: inert('only LATEST exists locally'),
  invocationRole: e('oss, mns_topic, tablestore: a role the ROS template declares must trust the source service and allow fc:InvokeFunction on the function, else its events do not invoke it (D152); other roles are not checked'),
  sourceArn: e('names the bucket / table / MNS topic that fires the trigger (inert for eventbridge)'),
  triggerConfig: e('per trigger type'),
};

export const TRIGGER_CONFIG: Record<string, KeyRules> = {
  http: {
    authType: e('anonymous, or function (the request\'s ACS3 signature checked against the local account\'s keys); jwt is refused'),
    methods: e('other methods get 405'),
    disableURLInternet: inert('there is no public URL locally'),
  },
  timer: {
    cronExpression: e('6-field cron (seconds first, CRON_TZ= prefix) or @every'),
    enable: e('a disabled timer never fires on its own but can still be "run now"'),
    payload: e('the `payload` string of the timer event'),
  },
  oss: {
    events: e('oss:ObjectCreated:* / specific events / oss:ObjectRemoved:*'),
    filter: e('key filter', { keys: { key: e('prefix and suffix', { keys: { prefix: e('key prefix'), suffix: e('key suffix') } }) } }),
  },
  tablestore: {},
  mns_topic: {
    notifyContentFormat: e('STREAM (the body, or {body, attrs}) or JSON (the message with its metadata)'),
    notifyStrategy: e('BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY: how MNS retries a push FC did not take (function errors: asyncInvokeConfig)'),
    filterTag: e('only messages published with this tag fire the trigger'),
  },
  eventbridge: {
    triggerEnable: e('false stops the trigger from reading its queue'),
    asyncInvocationType: e('true: events go through the async invocation queue; false: synchronous, a failure leaves the messages in the queue'),
    eventRuleFilterPattern: e('JSON pattern of top-level CloudEvent fields and allowed values; non-matching messages are consumed without an invocation'),
    eventSourceConfig: e('the event source', {
      keys: {
        eventSourceType: e('MNS only'),
        eventSourceParameters: e('source parameters', {
          keys: {
            sourceMNSParameters: e('the MNS queue', {
              keys: {
                QueueName: e('the queue read (declared in the ROS template)'),
                IsBase64Decode: e('decode message bodies into data.messageBody (default true)'),
                RegionId: e('must be the region of the stack'),
              },
            }),
          },
          refused: {
            sourceRocketMQParameters: 'only MNS event sources are emulated',
            sourceRabbitMQParameters: 'only MNS event sources are emulated',
            sourceKafkaParameters: 'only MNS event sources are emulated',
            sourceDTSParameters: 'only MNS event sources are emulated',
            sourceMQTTParameters: 'only MNS event sources are emulated',
          },
        }),
      },
    }),
    eventSinkConfig: e('delivery to the function', {
      keys: {
        deliveryOption: e('delivery options', {
          keys: {
            mode: e('deprecated spelling of runOptions.mode'),
            eventSchema: e('CloudEvents (default) or RawData (the data object only)'),
            concurrency: inert('Kafka sources only'),
          },
        }),
      },
    }),
    runOptions: e('how the queue is read', {
      keys: {
        mode: e('event-streaming (an array per invocation, batched) or event-driven (one event per invocation)'),
        batchWindow: e('batching (event-streaming)', {
          keys: {
            CountBasedWindow: e('events per invocation (1-10000)'),
            TimeBasedWindow: e('seconds to wait for a fuller batch (0-15)'),
          },
        }),
        maximumTasks: e('consumers reading the queue at once (default 1)'),
        errorsTolerance: e('NONE only: a failed batch is not skipped'),
        retryStrategy: inert('locally a failed batch comes back after the queue VisibilityTimeout and dead-letters by its DlqPolicy', { open: true }),
      },
      refused: {
        deadLetterQueue: "EventBridge's own dead-letter queue is not emulated: give the source queue a DlqPolicy (MaxReceiveCount) in the ROS template",
      },
    }),
  },
};

export const REFUSED_TRIGGER_TYPES: Record<string, string> = {
  log: 'SLS log triggers are not emulated',
  cdn_events: 'CDN event triggers are not emulated',
};

export const DOMAIN_PROPS: KeyRules = {
  region: e('region'),
  domainName: inert('every route is served on the local gateway host'),
  protocol: inert('the local gateway speaks HTTP'),
  certConfig: inert('no TLS locally', { open: true }),
  tlsConfig: inert('no TLS locally', { open: true }),
  routeConfig: e('routes served by the local gateway', {
    keys: {
      routes: e('route list', {
        items: {
          path: e('exact or `/*` wildcard path'),
          functionName: e('target function'),
          methods: e('allowed methods'),
          qualifier: inert('only LATEST'),
        },
      }),
    },
  }),
};

export const ROS_PROPS: KeyRules = {
  region: e('region'),
  name: inert('the stack name'),
  endpoint: inert('ROS endpoint'),
  template: e('the ROS template: buckets, TableStore instances and tables, MNS queues, topics and subscriptions are created locally'),
  parameters: e('template parameters', { open: true }),
  policy: inert('stack policy', { open: true }),
};

/** The `flow` component (CloudFlow); the definition's own fields are checked by the flow engine. */
export const FLOW_PROPS: KeyRules = {
  region: e('must be the functions\' region: the local cloud runs one region'),
  name: e('the flow name StartExecution takes; must equal the definition\'s Name'),
  definition: e('the CloudFlow definition (an object, e.g. ${yaml(file(...))}, or a file path), checked state by state', { open: true }),
  description: e('returned by DescribeFlow'),
  type: e('FDL only'),
  roleArn: e('stored and shown (DescribeFlow, $Context.Execution.RoleArn); a role the ROS template declares must allow fc:InvokeFunction on each Task function, else the task fails with FC.AccessDenied (D152)'),
  executionMode: e('Standard only; Express is refused (StartSyncExecution is not emulated)'),
};

/** Walk `value` against `rules`, collecting one error per unknown key. */
export function checkKeys(value: unknown, rules: KeyRules, path: string, refused: Record<string, string> = {}): SpecError[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const errors: SpecError[] = [];
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    const rule = rules[key];
    if (!rule) {
      const why = refused[key];
      errors.push(
        new SpecError(childPath, why ? `not supported by the local cloud: ${why}` : 'unknown key, not supported by the local cloud', why ? 'see docs/fidelity.md' : suggest(key, Object.keys(rules))),
      );
      continue;
    }
    if (rule.open) continue;
    if (rule.keys) errors.push(...checkKeys(child, rule.keys, childPath, rule.refused));
    if (rule.items && Array.isArray(child) && Object.keys(rule.items).length > 0) {
      child.forEach((item, i) => errors.push(...checkKeys(item, rule.items!, `${childPath}[${i}]`)));
    }
  }
  return errors;
}

/** "did you mean memorySize?" for typos, by edit distance. */
function suggest(key: string, known: string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? `did you mean "${best}"?` : 'see docs/fidelity.md for the supported keys';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
