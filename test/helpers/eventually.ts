/**
 * Polls `probe` until it returns without throwing (and, when it returns a value, a truthy one).
 * Integration tests wait on asynchronous pipelines with this instead of fixed sleeps.
 * @example const row = await eventually(async () => { const r = await get(id); expect(r.status).toBe('ready'); return r; });
 */
export async function eventually<T>(probe: () => Promise<T> | T, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && (value as unknown) !== false) return value;
      if (value === undefined) return value;
      lastError = new Error(`eventually: probe returned ${String(value)}`);
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
