/**
 * Start-up trace: with `FC_LOCAL_TRACE=1`, each phase of a start prints `[trace] <ms since the process began> <phase>`
 * to stderr (docs/decisions.md D43). Costs one comparison per mark when off.
 */
const enabled = process.env.FC_LOCAL_TRACE === '1';

export function traceMark(phase: string): void {
  if (!enabled) return;
  const { user, system } = process.cpuUsage();
  process.stderr.write(`[trace] ${performance.now().toFixed(0).padStart(6)} cpu ${((user + system) / 1000).toFixed(0).padStart(5)} ${phase}\n`);
}
