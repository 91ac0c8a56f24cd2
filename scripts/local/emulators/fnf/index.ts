/**
 * FnF / CloudFlow (Serverless Workflow) API emulator, 2019-03-15, over the local flow engine.
 *
 * LIMITATIONS
 * - Actions: CreateFlow, UpdateFlow, DeleteFlow, DescribeFlow, ListFlows, StartExecution (with
 *   CallbackFnFTaskToken), StopExecution, DescribeExecution (WaitTimeSeconds long polling),
 *   ListExecutions, GetExecutionHistory, ReportTaskSucceeded, ReportTaskFailed. Every other action
 *   (StartSyncExecution and Express flows, schedules, versions, aliases, map runs, DescribeRegions) is
 *   answered `ActionNotSupported` naming it; an action the API does not have `InvalidAction.NotFound` (404, as
 *   the API gateway answers); unknown parameters `InvalidArgument` naming them.
 * - Flows are the CloudFlow spec only (`Type: StateMachine`), the subset the engine implements
 *   (docs/fidelity.md "CloudFlow"); a definition with anything else is refused at CreateFlow/UpdateFlow
 *   and, for s.yaml's flows, at start. Tasks invoke local FC functions only (`FC:InvokeFunction`).
 * - Authentication: signature 1.0 (HMAC-SHA1) and ACS3-HMAC-SHA256 with the local account's key;
 *   RAM policies and STS security tokens are not checked. Answers are JSON only (no `Format=XML`).
 * - Ordering of ListExecutions is newest first; CloudFlow does not document its order.
 * - A task whose invocation was in flight when the local cloud stopped is invoked again on the next
 *   start (at-least-once); its function must be idempotent, as it must be on FC.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { LOCAL_ACCOUNT_ID, secretFor as localSecretFor } from '../../credentials';
import { AccessControl, type AccessSettings } from '../../ram/access';
import { FlowEngine } from '../../flow-engine/engine';
import { resolveLocalFunction } from '../../flow-engine/fc-task';
import type { TaskInvoker } from '../../flow-engine/model';
import type { AsyncInvoker } from '../../runtime/async-invoker';
import type { OnBehalfAccess } from '../../ram/on-behalf';
import type { FunctionRuntime } from '../../runtime/runtime';
import type { FlowSpec } from '../../spec/model';
import { FnfApi } from './api';
import { LocalTaskInvoker } from './local-invoker';
import { RealtimeScheduler } from './realtime-scheduler';
import { createFnfHandler, fnfClientErrorHandler } from './server';
import { stderrAbortLog, type AbortInfo } from '../http-edge';
import { SqliteExecutionStore } from './sqlite-store';
import { keepIdleConnections } from '../../keep-alive';

export interface FnfEmulatorOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  region: string;
  /** FC function names the flows may invoke (s.yaml's functions). */
  functionNames: () => string[];
  /** The engine's and the signature check's clock; tests move it to run out waits and timeouts. */
  clock?: () => number;
  secretFor?: (accessKeyId: string) => string | undefined;
  /** RAM roles whose keys are held to their policies (D144); absent: every verified key may do anything. */
  access?: AccessSettings;
  /** Cap on DescribeExecution's long poll (tests). */
  maxLongPollMs?: number;
  /** Answer tasks with this instead of the local functions (contract tests of the API alone). */
  invoker?: TaskInvoker;
  /** Told when a client hangs up mid-request (default: a JSON line on stderr). */
  onAbort?: (info: AbortInfo) => void;
}

export interface FnfEmulator {
  endpoint: string;
  port: number;
  engine: FlowEngine;
  store: SqliteExecutionStore;
  /** Create or update s.yaml's flows (at every start, like `s deploy`). */
  deployFlows(flows: FlowSpec[]): void;
  /** Point tasks at the local functions and resume the executions a previous run left running. */
  /** `onBehalf`: tasks are held to their flow's role (D152). */
  connect(runtime?: FunctionRuntime, asyncInvoker?: AsyncInvoker, onBehalf?: OnBehalfAccess): number;
  close(): Promise<void>;
}

export async function startFnfEmulator(options: FnfEmulatorOptions): Promise<FnfEmulator> {
  const clock = options.clock ?? Date.now;
  const store = new SqliteExecutionStore(join(options.dataDir, 'fnf.sqlite'));
  const invoker = new LocalTaskInvoker();
  const engine = new FlowEngine({
    store,
    invoker: options.invoker ?? invoker,
    clock: { now: clock },
    scheduler: new RealtimeScheduler(clock),
    compile: { resolveFunction: (arn) => resolveLocalFunction(arn, { region: options.region, accountId: LOCAL_ACCOUNT_ID, hasFunction: (n) => options.functionNames().includes(n) }) },
  });
  const api = new FnfApi(engine, options.maxLongPollMs !== undefined ? { maxLongPollMs: options.maxLongPollMs } : {});
  const onAbort = options.onAbort ?? stderrAbortLog('fnf');
  const server: Server = keepIdleConnections(createServer(createFnfHandler({ api, secretFor: options.secretFor ?? localSecretFor, ...(options.access ? { access: new AccessControl(options.access) } : {}), clock, onAbort })));
  server.on('clientError', fnfClientErrorHandler({ onAbort }, () => `${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo | null)?.port ?? ''}`));
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(options.port, options.host ?? '127.0.0.1', () => ok());
    });
  } catch (err) {
    store.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    engine,
    store,
    deployFlows(flows) {
      for (const flow of flows) engine.putFlow({ name: flow.name, definition: flow.definition, description: flow.description, roleArn: flow.roleArn, source: 's.yaml' });
    },
    connect(runtime, asyncInvoker, onBehalf) {
      if (runtime && asyncInvoker) invoker.connect(runtime, asyncInvoker, onBehalf);
      return engine.recover();
    },
    async close() {
      if (closed) return;
      closed = true;
      engine.close();
      const stopped = new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
      await stopped;
      store.close();
    },
  };
}
