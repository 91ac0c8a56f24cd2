import type { RoleSpec } from '../ram/policy';
/**
 * The local cloud's view of s.yaml after rendering and classification: everything it runs,
 * nothing it ignores silently (see `fc3-keys.ts` for what each key means locally).
 */
export interface AppSpec {
  /** Folder holding s.yaml; relative paths in it resolve from here. */
  baseDir: string;
  name: string;
  region: string;
  functions: FunctionSpec[];
  routes: RouteSpec[];
  infra: InfraSpec;
  /** CloudFlow flows (`component: flow`), deployed to the local FnF emulator at start. */
  flows: FlowSpec[];
  /** Every resource's props after variable rendering, as `s preview` prints them. */
  rendered: Record<string, { component: string; props: unknown }>;
}

export interface FunctionSpec {
  /** The s.yaml resource key; also the folder under `functions/`. */
  resource: string;
  /** FC function name (`props.functionName`). */
  name: string;
  /** The RAM role name of `props.role`: locally the function's credentials are held to its policies (D144). */
  role?: string;
  runtime: 'nodejs20' | 'nodejs18' | CustomRuntimeName | PythonRuntimeName;
  /**
   * For a custom runtime (D123): the server the local cloud starts as each instance, on the host. Absent for
   * nodejs runtimes, whose handler runs in a worker thread.
   */
  customRuntime?: CustomRuntimeSpec;
  /** `instanceConcurrency`: requests one instance serves at once. FC applies it to custom runtimes only (absent: 1). */
  instanceConcurrency?: number;
  /** Absolute path of the deployable code folder (`props.code`), e.g. `<root>/dist/product-bff`. */
  codeDir: string;
  /** `file.export`, e.g. `index.handler`. */
  handler: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  initializer?: { handler: string; timeout: number };
  preStop?: { handler: string; timeout: number };
  /** `concurrencyConfig.reservedConcurrency`: FC throttles above this many instances. */
  reservedConcurrency?: number;
  triggers: TriggerSpec[];
  asyncInvokeConfig?: AsyncInvokeSpec;
}

/** FC 3.0's custom runtimes (`custom` is the Debian 9 one). */
export const CUSTOM_RUNTIMES = ['custom.debian12', 'custom.debian11', 'custom.debian10', 'custom'] as const;
export type CustomRuntimeName = (typeof CUSTOM_RUNTIMES)[number];

/**
 * FC 3.0's built-in Python runtimes (`python3` is Python 3.6). Locally each runs on the host's `python3` behind a
 * bootstrap of the local cloud (D131), not in FC's image.
 */
export const PYTHON_RUNTIMES = ['python3.12', 'python3.10', 'python3.9', 'python3'] as const;
export type PythonRuntimeName = (typeof PYTHON_RUNTIMES)[number];

/** `customRuntimeConfig` with FC's defaults filled in, paths under `/code` mapped to the code folder. */
export interface CustomRuntimeSpec {
  /** The program (and maybe its first arguments); FC runs `command` followed by `args`. */
  command: string[];
  args: string[];
  /** The port s.yaml names (FC's CAPort, default 9000). Locally each instance gets a free port instead: see process-instance.ts. */
  port: number;
  healthCheck?: CustomHealthCheckSpec;
}

/** FC's CustomHealthCheckConfig, in milliseconds. */
export interface CustomHealthCheckSpec {
  httpGetUrl: string;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

export type TriggerSpec = (HttpTriggerSpec | TimerTriggerSpec | OssTriggerSpec | TablestoreTriggerSpec | MnsTopicTriggerSpec | MnsQueueTriggerSpec) & { declared?: DeclaredTrigger };

/** A trigger's keys as s.yaml wrote them, which FC's ListTriggers and GetTrigger report (`triggerConfig` as JSON text). */
export interface DeclaredTrigger {
  triggerConfig: Record<string, unknown>;
  sourceArn?: string;
  invocationRole?: string;
  description?: string;
}

export interface HttpTriggerSpec {
  type: 'http';
  name: string;
  methods: string[];
  /** `function`: FC's gateway verifies the request's ACS3-HMAC-SHA256 signature before the function runs (D145). */
  authType: 'anonymous' | 'function';
}

export interface TimerTriggerSpec {
  type: 'timer';
  name: string;
  /** FC cron (6 fields, seconds first, optional `CRON_TZ=` prefix) or `@every <n><s|m|h>`. */
  cronExpression: string;
  enable: boolean;
  payload: string;
}

export interface OssTriggerSpec {
  type: 'oss';
  name: string;
  bucket: string;
  /** As written in s.yaml, e.g. `oss:ObjectCreated:*`. */
  events: string[];
  prefix: string;
  suffix: string;
}

export interface TablestoreTriggerSpec {
  type: 'tablestore';
  name: string;
  instance: string;
  table: string;
}

/** FC `mns_topic` trigger: the function subscribes to an MNS topic and is invoked asynchronously (decision D25). */
export interface MnsTopicTriggerSpec {
  type: 'mns_topic';
  name: string;
  topic: string;
  notifyContentFormat: 'STREAM' | 'JSON';
  notifyStrategy: 'BACKOFF_RETRY' | 'EXPONENTIAL_DECAY_RETRY';
  /** Only messages published with this MessageTag fire the trigger. */
  filterTag?: string;
}

/** FC `eventbridge` trigger with an MNS queue source: a poller that pushes CloudEvents (decision D25). */
export interface MnsQueueTriggerSpec {
  type: 'eventbridge';
  name: string;
  queue: string;
  /** `triggerEnable: false` stops the trigger from reading the queue. */
  enabled: boolean;
  /** `asyncInvocationType: true`: events go through FC's async invocation queue. */
  async: boolean;
  /** `IsBase64Decode` (default true): `data.messageBody` is the base64-decoded body. */
  base64Decode: boolean;
  /** event-streaming: an array of events per invocation; event-driven: one event per invocation. */
  mode: 'event-streaming' | 'event-driven';
  eventSchema: 'CloudEvents' | 'RawData';
  /** `runOptions.batchWindow.CountBasedWindow` (1 when event-driven). */
  batchSize: number;
  /** `runOptions.batchWindow.TimeBasedWindow`, seconds. */
  batchWindowSeconds: number;
  /** `runOptions.maximumTasks`: consumers reading the queue at once. */
  consumers: number;
  /** `eventRuleFilterPattern` parsed: top-level CloudEvent fields and the values they must have. */
  filterPattern?: Record<string, string[]>;
}

export interface AsyncInvokeSpec {
  maxAsyncRetryAttempts: number;
  maxAsyncEventAgeInSeconds: number;
  /** Async task mode (D159): each async invocation is a task (GetAsyncTask, ListAsyncTasks, StopAsyncTask, `x-fc-async-task-id`). */
  asyncTask?: true;
  onSuccess?: DestinationSpec;
  onFailure?: DestinationSpec;
}

export type DestinationSpec =
  | { kind: 'fc'; functionName: string; arn: string }
  | { kind: 'mns-queue'; queue: string; arn: string }
  | { kind: 'mns-topic'; topic: string; arn: string };

export interface RouteSpec {
  /** Exact path (`/api/products`) or prefix wildcard (`/api/products/*`). */
  path: string;
  methods?: string[];
  functionName: string;
  /** Where the route came from, for messages. */
  source: string;
}

/** One rule of a bucket's `CORSConfiguration` in the ROS template, in the OSS emulator's shape. */
export interface BucketCorsRuleSpec {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface InfraSpec {
  /** `corsOrigins`: every rule's origins; `corsRules`: the rules as declared (none: the bucket has no CORS). */
  buckets: { name: string; corsOrigins: string[]; corsRules: BucketCorsRuleSpec[] }[];
  otsInstances: string[];
  tables: {
    instance: string;
    name: string;
    primaryKey: { name: string; type: 'STRING' | 'INTEGER' | 'BINARY' }[];
    ttlSeconds: number;
    /** `MaxVersions` (default 1). */
    maxVersions: number;
    /** `DeviationCellVersionInSec` (default 86 400). */
    deviationSeconds: number;
    /** `Columns`: the table's predefined (defined) columns, which secondary indexes may key on or carry (D158). */
    definedColumns: { name: string; type: 'STRING' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN' }[];
    /** `SecondaryIndices`: `PrimaryKeys` are the index's key columns, `Columns` its attribute columns (D158). */
    secondaryIndexes: { name: string; type: 'GLOBAL' | 'LOCAL'; primaryKey: string[]; definedColumns: string[] }[];
  }[];
  /** `ALIYUN::MNS::Queue` */
  queues: MnsQueueSpec[];
  /** `ALIYUN::MNS::Topic` */
  topics: MnsTopicSpec[];
  /** `ALIYUN::MNS::Subscription` */
  subscriptions: MnsSubscriptionSpec[];
  /** `ALIYUN::OTS::SearchIndex`: created through the local TableStore's CreateSearchIndex at start. */
  searchIndexes: SearchIndexSpec[];
  /** `ALIYUN::RAM::Role` with the policies attached to it (`ManagedPolicy`, system policies): what the emulators enforce. */
  roles: RoleSpec[];
}

export interface MnsQueueSpec {
  name: string;
  delaySeconds: number;
  maximumMessageSize: number;
  messageRetentionPeriod: number;
  visibilityTimeout: number;
  pollingWaitSeconds: number;
  loggingEnabled: boolean;
  dlqPolicy?: { deadLetterTargetQueue: string; maxReceiveCount: number };
}

export interface MnsTopicSpec {
  name: string;
  maximumMessageSize: number;
  loggingEnabled: boolean;
}

export interface MnsSubscriptionSpec {
  topic: string;
  name: string;
  endpoint: string;
  filterTag?: string;
  notifyStrategy: 'BACKOFF_RETRY' | 'EXPONENTIAL_DECAY_RETRY';
  notifyContentFormat: 'XML' | 'JSON' | 'SIMPLIFIED';
  deadLetterQueue?: string;
}

/** A search index field as the ROS template declares it (ROS spellings normalised to the SDK's). */
export interface SearchIndexFieldSpec {
  name: string;
  type: 'LONG' | 'DOUBLE' | 'BOOLEAN' | 'KEYWORD' | 'TEXT' | 'NESTED' | 'GEO_POINT' | 'DATE';
  /** The SDK's analyzer name, e.g. `single_word`. */
  analyzer?: string;
  index: boolean;
  isArray: boolean;
  enableSortAndAgg: boolean;
  store: boolean;
}

export interface SearchIndexSpec {
  instance: string;
  table: string;
  index: string;
  fields: SearchIndexFieldSpec[];
}

export interface FlowSpec {
  /** The s.yaml resource key. */
  resource: string;
  /** `props.name`: the name StartExecution takes. */
  name: string;
  region: string;
  /** The definition as CreateFlow receives it (JSON of the rendered object, or the file's text). */
  definition: string;
  description: string;
  roleArn: string;
}
