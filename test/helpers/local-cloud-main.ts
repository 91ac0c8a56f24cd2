/**
 * A local cloud in its own process, for tests that kill it for real (local-cloud-process.ts starts it).
 * APP_ROOT and DATA_DIR choose the app and the data folder; PORT the gateway's port, the services on the
 * next four (0, the default, picks free ports). Prints one line
 * `LOCAL_CLOUD_READY {json}` with the endpoints once it serves.
 */
import { startLocalCloud } from '../../scripts/local/cloud';

async function main(): Promise<void> {
  const cloud = await startLocalCloud({
    ...(process.env.APP_ROOT ? { root: process.env.APP_ROOT } : {}),
    port: Number(process.env.PORT || 0),
    dataDir: process.env.DATA_DIR!,
    watch: false,
    prewarm: false,
    seed: process.env.SEED === '1',
    env: process.env,
  });
  process.stdout.write(`LOCAL_CLOUD_READY ${JSON.stringify({ url: cloud.url, fnf: cloud.fnf.endpoint, oss: cloud.oss.endpoint, pid: process.pid })}\n`);
  process.on('SIGTERM', () => void cloud.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
