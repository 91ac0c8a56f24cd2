/**
 * Reads what `V8_FLAGS=--trace-gc-nvp npx tsx bench/image-pipeline-batch.ts > log` printed and sums, per phase
 * (`# phase …` lines) and per isolate, the scavenges, the mark-compacts, their pauses, the bytes promoted to the old
 * generation and the bytes allocated. The main isolate is the one with the most GCs over the run (it runs the
 * emulators, the gateway and the client); the others are worker threads (instances, the TableStore emulator).
 *
 *   npx tsx bench/gc-trace-by-phase.ts /tmp/log
 */
import { readFileSync } from 'node:fs';

interface IsolateTotals {
  scavenges: number;
  markCompacts: number;
  pauseMs: number;
  promotedMb: number;
  allocatedMb: number;
  /** The young generation's size at the last scavenge (what the scavenges in the phase ran on). */
  semiSpaceMb?: number;
}

const field = (line: string, name: string) => {
  const match = new RegExp(`\\b${name}=([0-9.]+)`).exec(line);
  return match ? Number(match[1]) : 0;
};

export function gcByPhase(text: string): Record<string, Record<string, IsolateTotals>> {
  const out: Record<string, Record<string, IsolateTotals>> = {};
  let phase = 'setup';
  for (const line of text.split('\n')) {
    const marker = /^# phase (.+)$/.exec(line);
    if (marker) {
      phase = marker[1] === 'end' ? 'between' : marker[1]!;
      continue;
    }
    const gc = /^\[\d+:(0x[0-9a-f]+)\].*\bgc=(s|mc|mmc)\b/.exec(line);
    if (!gc) continue;
    const isolate = gc[1]!;
    const totals = ((out[phase] ??= {})[isolate] ??= { scavenges: 0, markCompacts: 0, pauseMs: 0, promotedMb: 0, allocatedMb: 0 });
    if (gc[2] === 's') totals.scavenges++;
    else totals.markCompacts++;
    totals.pauseMs += field(line, 'pause');
    totals.promotedMb += field(line, 'promoted') / 1e6;
    totals.allocatedMb += field(line, 'allocated') / 1e6;
  }
  return out;
}

if (require.main === module) {
  const byPhase = gcByPhase(readFileSync(process.argv[2]!, 'utf8'));
  const gcsOf = (isolate: string) => Object.values(byPhase).reduce((n, p) => n + (p[isolate] ? p[isolate].scavenges + p[isolate].markCompacts : 0), 0);
  const isolates = [...new Set(Object.values(byPhase).flatMap((p) => Object.keys(p)))].sort((a, b) => gcsOf(b) - gcsOf(a));
  const main = isolates[0];
  const round = (n: number) => Math.round(n * 10) / 10;
  for (const [phase, totals] of Object.entries(byPhase)) {
    if (phase === 'setup' || phase === 'between') continue;
    const workers = Object.entries(totals).filter(([isolate]) => isolate !== main).map(([, t]) => t);
    const sum = (key: keyof IsolateTotals) => round(workers.reduce((n, t) => n + (t[key] ?? 0), 0));
    const m = totals[main!];
    console.log(`${phase}: main ${m ? `${m.scavenges} scavenges, ${m.markCompacts} mark-compacts, pauses ${round(m.pauseMs)} ms, promoted ${round(m.promotedMb)} MB of ${round(m.allocatedMb)} MB allocated` : 'no GC'}; ` +
      `${workers.length} other isolates: ${sum('scavenges')} scavenges, ${sum('markCompacts')} mark-compacts, pauses ${sum('pauseMs')} ms, promoted ${sum('promotedMb')} MB`);
  }
}
