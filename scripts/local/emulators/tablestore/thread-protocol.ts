/**
 * Messages between the local cloud's main thread and the TableStore emulator's own thread (`thread.ts`,
 * `thread-worker.ts`). Only plain data crosses: structured clone copies it.
 */
import type { RequestRecord } from './server';
import type { TableMeta } from './table';
import type { AccessSettings } from '../../ram/access';

/** Emitted on the worker's `process` once it listens: the loader then saves its code cache (thread.ts). */
export const WORKER_STARTED_EVENT = 'fc-local:tablestore-listening';

/** What the worker is started with (`workerData`). */
export interface TableStoreThreadBoot {
  dataDir: string;
  instances: string[];
  host?: string;
  port: number;
  /** RAM roles the emulator holds functions' keys to (D144). */
  access?: AccessSettings;
  /** Tests only: the thread obeys `crash` requests (D95). The local cloud never sets it. */
  crashHooks?: boolean;
  /** A restart (D95): say `readyToListen` once storage is open, and bind the port only when told `listen`. */
  waitForPort?: boolean;
}

/** Told to a thread started with `waitForPort`: the stand-in has let go of the port. */
export const LISTEN_NOW = 'listen';

/**
 * How a test makes the thread fail (D95): an uncaught exception, `process.exit`, running out of heap (with a
 * small `maxHeapMb`), or a loop that never yields.
 */
export type ThreadCrash = 'throw' | 'exit' | 'oom' | 'block';

/** A table as the console lists it. */
export interface TableSummary {
  instance: string;
  name: string;
  rows: number;
  ttlSeconds: number;
  stream: boolean;
  searchIndexes: string[];
}

/** What storage holds for a table the ROS template names (D83's provisioning fingerprint). */
export type HeldTable =
  | { instance: string; name: string; missing: true }
  | { instance: string; name: string; id: number; meta: TableMeta; indexes: { name: string; createdAt: number; schema: string }[] };

export type ThreadRequest =
  | { id: number; type: 'call'; instance: string; operation: string; body: Uint8Array }
  | { id: number; type: 'sweep' }
  | { id: number; type: 'tables' }
  | { id: number; type: 'held'; tables: { instance: string; name: string }[] }
  | { id: number; type: 'requests' }
  | { id: number; type: 'close' }
  | { id: number; type: 'crash'; how: ThreadCrash }
  | { id: number; type: 'ping' };

/** An OtsError as a client would receive it (with its status), or any other error: message, stack, Node's code. */
export interface ThreadFailure {
  status?: number;
  code?: string;
  message: string;
  stack?: string;
}

/** The request log: the last requests, every request counted by operation since the start, unexpected errors. */
export interface RequestLog {
  recent: RequestRecord[];
  countsByOperation: Record<string, number>;
  internalErrors: string[];
}

export type ThreadMessage =
  | { type: 'listening'; port: number; endpoint: string; threadId: number; osThreadId: number | undefined }
  | { type: 'startFailed'; error: ThreadFailure }
  | { type: 'readyToListen' }
  | { type: 'streamRecords'; streamIds: string[] }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: ThreadFailure };
