/**
 * The OSS emulator on its own, for `oss.bench.ts`: like `npm start`, the emulator runs in another process than
 * the client measuring it. Prints `{"endpoint": …}` on stdout once listening; stops on SIGTERM or stdin end.
 */
import { startOssEmulator } from '../scripts/local/emulators/oss';

async function main(): Promise<void> {
  const [dataDir, bucket] = process.argv.slice(2);
  if (!dataDir || !bucket) throw new Error('usage: oss-server.ts <dataDir> <bucket>');
  const emulator = await startOssEmulator({ dataDir, region: 'cn-hangzhou', buckets: [bucket], corsOrigins: [], maxObjectBytes: 128 * 1024 * 1024, lifecycleIntervalMs: 0 });
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint })}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
