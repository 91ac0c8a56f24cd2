/**
 * What object versioning (D156) costs a bucket that does not use it: a 1 KB PutObject + GetObject of one key through
 * ali-oss (default options, signature V1) against the OSS emulator of this tree, and of another checkout given as
 * the argument (the tree before D156) — both emulators in this process, each on its own temp data folder, the paths
 * interleaved in rounds so the machine's drift hits all alike. Beside them, information: the same on a bucket with
 * versioning Enabled (every PUT keeps a version), on this tree.
 *
 *   git worktree add /tmp/oss-before <commit before D156> && ln -s "$PWD/node_modules" /tmp/oss-before/node_modules
 *   flock /work/coord/machine.lock npx tsx bench/oss-versioning.ts /tmp/oss-before
 *
 * Output: p50/p95 per PUT+GET pair and the ratio this tree / the other for the unversioned bucket, in
 * bench/results/oss-versioning.json. Goal: the unversioned ratio ≤ 1.10 (no measurable cost).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OSS from 'ali-oss';
import { LOCAL_CREDENTIALS } from '../scripts/local/credentials';
import type * as OssModule from '../scripts/local/emulators/oss';
import { interleavedRounds, report, round3 } from './lib';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const PER_ROUND = 200;
const BODY = Buffer.alloc(1024, 'v');

async function emulatorFrom(root: string): Promise<{ emulator: OssModule.OssEmulator; dataDir: string }> {
  const mod = (await import(join(root, 'scripts/local/emulators/oss/index.ts'))) as typeof OssModule;
  const dataDir = mkdtempSync(join(tmpdir(), 'oss-versioning-bench-'));
  const emulator = await mod.startOssEmulator({ dataDir, region: 'cn-hangzhou', buckets: ['bench'], corsOrigins: [], lifecycleIntervalMs: 0, logger: { aborted: () => undefined, internalError: (err) => console.error(err) } });
  return { emulator, dataDir };
}

function clientFor(emulator: OssModule.OssEmulator, bucket = 'bench'): OSS {
  return new OSS({
    region: 'oss-cn-hangzhou',
    endpoint: emulator.endpoint,
    sldEnable: true,
    bucket,
    accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret,
    stsToken: LOCAL_CREDENTIALS.securityToken,
    refreshSTSToken: async () => ({ accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken }),
  } as OSS.Options);
}

function putGet(client: OSS): () => Promise<void> {
  return async () => {
    await client.put('one-key.bin', BODY);
    await client.get('one-key.bin');
  };
}

async function main(): Promise<void> {
  const other = process.argv[2] ? resolve(process.argv[2]) : undefined;
  if (!other) throw new Error('usage: npx tsx bench/oss-versioning.ts <checkout before D156>');
  const here = await emulatorFrom(resolve(__dirname, '..'));
  const before = await emulatorFrom(other);
  try {
    const versionedClient = clientFor(here.emulator, 'bench-versioned');
    await versionedClient.putBucket('bench-versioned');
    // @types/ali-oss leaves this method out.
    await (versionedClient as unknown as { putBucketVersioning(name: string, status: string): Promise<unknown> }).putBucketVersioning('bench-versioned', 'Enabled');
    const result = await interleavedRounds(
      {
        before: putGet(clientFor(before.emulator)),
        after: putGet(clientFor(here.emulator)),
        afterVersioned: putGet(versionedClient),
      },
      ROUNDS,
      PER_ROUND,
    );
    const ratioP50 = round3(result.after.p50 / result.before.p50);
    const ratioMean = round3(result.after.mean / result.before.mean);
    report({
      name: 'oss-versioning',
      description: '1 KB PutObject + GetObject (ali-oss V1) on an unversioned bucket: this tree vs the tree before D156; a versioned bucket for information',
      results: { rounds: ROUNDS, perRound: PER_ROUND, other, ...result, ratioP50, ratioMean, versionedOverUnversionedP50: round3(result.afterVersioned.p50 / result.after.p50) },
      goals: [{ name: 'unversioned PUT+GET after / before (p50)', measured: `${result.after.p50} ms vs ${result.before.p50} ms = ${ratioP50}× (mean ${ratioMean}×)`, met: ratioP50 <= 1.1 }],
    });
  } finally {
    await here.emulator.close();
    await before.emulator.close();
    rmSync(here.dataDir, { recursive: true, force: true });
    rmSync(before.dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
