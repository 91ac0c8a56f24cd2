/**
 * `BENCH_PROFILE=<dir>`: an inspector session on this process's main thread with the profiler enabled, for
 * benches that write a CPU profile of what they measure. Without the variable: undefined (nothing is profiled).
 * @example const profiler = await mainProfilerFromEnv(); await profiler?.post('Profiler.start');
 */
export async function mainProfilerFromEnv(): Promise<{ dir: string; post: (method: string) => Promise<unknown> } | undefined> {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return undefined;
  const session = new (await import('node:inspector')).Session();
  const post = (method: string) => new Promise<unknown>((done, fail) => session.post(method, (err, result) => (err ? fail(err) : done(result))));
  session.connect();
  await post('Profiler.enable');
  return { dir, post };
}
