/**
 * The IoT benchmark's device fleet in a process of its own, as `npm run simulate:iot` runs for a user: the
 * same `runSimulator`, its options as JSON in argv[2], its summary and its own CPU time as one JSON line on
 * stdout. Run by `bench/iot.bench.ts` (so the local cloud's main thread does not also sign, send and parse the
 * fleet's requests, which no user's local cloud does).
 */
import { runSimulator, type SimulatorOptions, type SimulatorSummary } from '../scripts/iot/simulator';

export interface SimulatorProcessResult {
  summary: SimulatorSummary;
  /** CPU of this whole process over the run (ms). */
  cpuMs: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '') as SimulatorOptions;
  const before = process.cpuUsage();
  const summary = await runSimulator(options);
  const cpu = process.cpuUsage(before);
  const result: SimulatorProcessResult = { summary, cpuMs: (cpu.user + cpu.system) / 1000 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
