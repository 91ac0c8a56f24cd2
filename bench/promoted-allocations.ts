/**
 * What survives the young generation, by allocation site, in this process's main isolate and in every worker thread
 * (the function instances, the TableStore emulator): V8's sampling heap profiler with the samples of objects a
 * scavenge collected dropped (`includeObjectsCollectedByMinorGC: false`) and those of objects a mark-compact
 * collected kept — so what it reports is what was promoted to the old generation (or still lives young at the end).
 * A diagnostic for the image pipeline's batch (D108); the inspector's own traffic is in the profile too and small.
 */
import { Session } from 'node:inspector/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  children: ProfileNode[];
}
interface SamplingHeapProfile {
  head: ProfileNode;
}

export interface PromotedSites {
  /** Bytes sampled in all, and by site: the allocating frame with its `depth - 1` nearest callers. */
  totalKb: number;
  top: { kb: number; share: string; stack: string }[];
  /** The same bytes by the innermost frame that is the project's or a package's code (not Node's internals). */
  byOwnCode: { kb: number; share: string; frame: string }[];
}

const isOwnCode = (f: CallFrame) => /\/(node_modules|functions|scripts|bench|dist)\/|^fc-local:/.test(f.url);

const START = { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false };

const frameName = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|functions|scripts|bench)\//, '$1/')}:${f.lineNumber + 1}`;

/** Sums self sizes by the allocating frame and its nearest callers. */
export function promotedSites(profile: SamplingHeapProfile, depth = 4, limit = 40): PromotedSites {
  const bySite = new Map<string, number>();
  const byOwn = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, path: string[], own: string) => {
    const name = frameName(node.callFrame);
    const here = [...path, name];
    const ownHere = isOwnCode(node.callFrame) ? name : own;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const key = here.slice(-depth).reverse().join(' < ');
      bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
      byOwn.set(ownHere, (byOwn.get(ownHere) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, here, ownHere);
  };
  walk(profile.head, [], '(Node or V8 only)');
  const ranked = <K extends string>(map: Map<string, number>, key: K) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([name, bytes]) => ({ kb: Math.round(bytes / 1024), share: `${((100 * bytes) / total).toFixed(1)} %`, [key]: name }) as { kb: number; share: string } & Record<K, string>);
  return { totalKb: Math.round(total / 1024), top: ranked(bySite, 'stack'), byOwnCode: ranked(byOwn, 'frame') };
}

/**
 * Starts sampling in the main isolate and in every worker that exists now; the returned function stops them all and
 * gives the sites per isolate (`main`, then each worker by its title).
 */
export async function samplePromotions(): Promise<() => Promise<Record<string, PromotedSites>>> {
  const session = new Session();
  session.connect();
  const workers = new Map<string, { title: string; pending: Map<number, (result: unknown) => void> }>();
  let nextId = 1;
  session.on('NodeWorker.attachedToWorker', (message) => {
    const { sessionId, workerInfo } = message.params as { sessionId: string; workerInfo: { title: string; workerId: string } };
    workers.set(sessionId, { title: `${workerInfo.title} #${workerInfo.workerId}`, pending: new Map() });
  });
  session.on('NodeWorker.receivedMessageFromWorker', (message) => {
    const { sessionId, message: text } = message.params as { sessionId: string; message: string };
    const reply = JSON.parse(text) as { id?: number; result?: unknown; error?: unknown };
    if (reply.id === undefined) return;
    workers.get(sessionId)?.pending.get(reply.id)?.(reply.error ? { error: reply.error } : reply.result);
  });
  const toWorker = (sessionId: string, method: string, params: object = {}): Promise<unknown> => {
    const id = nextId++;
    const worker = workers.get(sessionId)!;
    const answered = new Promise((resolve) => worker.pending.set(id, resolve));
    void session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) });
    return answered;
  };
  await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  await new Promise((resolve) => setTimeout(resolve, 200)); // the attach events of the workers already running
  const sampled = [...workers.keys()];
  await Promise.all(sampled.map(async (id) => {
    await toWorker(id, 'HeapProfiler.enable');
    await toWorker(id, 'HeapProfiler.startSampling', START);
  }));
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', START);
  return async () => {
    const out: Record<string, PromotedSites> = {};
    out.main = promotedSites(((await session.post('HeapProfiler.stopSampling')) as { profile: SamplingHeapProfile }).profile);
    for (const id of sampled) {
      const result = (await toWorker(id, 'HeapProfiler.stopSampling')) as { profile?: SamplingHeapProfile };
      if (result.profile) out[workers.get(id)!.title] = promotedSites(result.profile);
    }
    await session.post('NodeWorker.disable');
    session.disconnect();
    return out;
  };
}
