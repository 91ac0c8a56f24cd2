/**
 * The local cloud as its own process, for tests that kill it for real (`local-cloud-process.ts` spawns this
 * file): `startLocalCloud` on APP_ROOT (default: the repository) with PORT (services on PORT+1…; 0 picks free
 * ports), DATA_DIR, no file watching, prewarm and the demo seed only when PREWARM=1 / SEED=1. Prints one line
 * `LOCAL_CLOUD_READY {json}` once it serves, and stops cleanly on SIGTERM or SIGINT.
 */
import { startLocalCloud } from '../../scripts/local/cloud';

async function main(): Promise<void> {
  const cloud = await startLocalCloud({
    ...(process.env.APP_ROOT ? { root: process.env.APP_ROOT } : {}),
    port: Number(process.env.PORT ?? 0),
    dataDir: process.env.DATA_DIR!,
    watch: false,
    prewarm: process.env.PREWARM === '1',
    seed: process.env.SEED === '1',
    env: process.env,
    onLog: (fn, text) => process.stdout.write(`[${fn.resource}] ${text}`),
  });
  process.stdout.write(`LOCAL_CLOUD_READY ${JSON.stringify({ url: cloud.url, pid: process.pid })}\n`);
  const stop = () => void cloud.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`local cloud failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
