/**
 * What closing D146's last crash windows costs (D151), each against its baseline in the same run, paths interleaved:
 * - the OSS event outbox: a 1 KB PutObject through ali-oss to an emulator whose writes record their event in the
 *   outbox and hand it to a subscriber, against an emulator with no subscriber (no event recorded) — both in this
 *   process, each with its own data folder;
 * - the process instances' watchdog: spawning `true` behind `sh`'s watchdog (process-instance.ts) to its exit,
 *   against spawning `true` itself with the same stdio and process group.
 * Information, no goal: `npx tsx bench/crash-windows.ts` (under the machine lock). Writes bench/results/crash-windows.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OSS from 'ali-oss';
import { LOCAL_CREDENTIALS } from '../scripts/local/credentials';
import { startOssEmulator, type OssEmulator } from '../scripts/local/emulators/oss';
import { watchedCommand } from '../scripts/local/runtime/process-instance';
import { interleavedRounds, report, round3 } from './lib';

const BUCKET = 'bench-outbox';

async function emulator(withEvents: boolean): Promise<{ oss: OssEmulator; client: OSS; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-outbox-'));
  let events = 0;
  const oss = await startOssEmulator({ dataDir: dir, region: 'cn-hangzhou', buckets: [BUCKET], corsOrigins: [], lifecycleIntervalMs: 0, ...(withEvents ? { onEvent: () => void events++ } : {}) });
  const client = new OSS({ region: 'oss-cn-hangzhou', endpoint: oss.endpoint, sldEnable: true, bucket: BUCKET, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken } as OSS.Options);
  return { oss, client, dir };
}

function spawnToExit(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.once('error', reject);
    child.once('exit', () => {
      child.stdin.destroy();
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const outbox = await emulator(true);
  const none = await emulator(false);
  const body = Buffer.alloc(1024, 7);
  let n = 0;
  try {
    const oss = await interleavedRounds(
      {
        withOutbox: async () => void (await outbox.client.put(`k${n++ % 500}.bin`, body)),
        noEvents: async () => void (await none.client.put(`k${n++ % 500}.bin`, body)),
      },
      6,
      100,
    );
    const watchdog = await interleavedRounds(
      {
        direct: () => spawnToExit(['true']),
        watchdog: () => spawnToExit(watchedCommand(['true'])),
      },
      6,
      40,
    );
    report({
      name: 'crash-windows',
      description: 'cost of the OSS event outbox per PutObject and of the process instances’ watchdog per start (D151)',
      results: { putObject1KB: oss, spawnTrue: watchdog, load: (await import('node:os')).loadavg().map(round3) },
      goals: [
        { name: 'outbox per 1 KB PUT (information)', measured: `p50 ${oss.withOutbox.p50} vs ${oss.noEvents.p50} ms (+${round3(oss.withOutbox.p50 - oss.noEvents.p50)})`, met: true },
        { name: 'watchdog per instance start (information)', measured: `p50 ${watchdog.watchdog.p50} vs ${watchdog.direct.p50} ms (+${round3(watchdog.watchdog.p50 - watchdog.direct.p50)})`, met: true },
      ],
    });
  } finally {
    for (const e of [outbox, none]) {
      await e.oss.close();
      rmSync(e.dir, { recursive: true, force: true });
    }
  }
}

void main();
