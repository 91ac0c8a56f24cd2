import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchEnvKnobs, KNOB_HELP } from '../../bench/usage';

const BENCH_DIR = join(__dirname, '..', '..', 'bench');
const runBench = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'run.ts'), ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, BENCH_ROUNDS: '1' } });

describe('npm run bench -- --help', () => {
  it('lists every benchmark and the environment knobs they read, and runs none', () => {
    const run = runBench('--help');
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    const names = readdirSync(BENCH_DIR).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, ''));
    for (const name of names) expect(run.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    for (const knob of ['BENCH_ROUNDS', 'BENCH_KINDS', 'BENCH_SECONDS', 'BENCH_LEVELS', 'V8_FLAGS']) expect(run.stdout).toMatch(new RegExp(`^  ${knob} `, 'm'));
    // Nothing ran: a run prints `# <file>` per benchmark and a summary.
    expect(run.stdout).not.toMatch(/^# /m);
    expect(runBench('-h').stdout).toBe(run.stdout);
  });

  it('describes each knob a benchmark reads, and only those', () => {
    const read = [...benchEnvKnobs(BENCH_DIR).keys()].sort();
    expect(read).toEqual(expect.arrayContaining(['BENCH_ROUNDS', 'BENCH_KINDS']));
    expect(Object.keys(KNOB_HELP).sort()).toEqual(read);
  });

  it('refuses an option it does not know, with the usage, instead of filtering by it', () => {
    const run = runBench('--rounds=3');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown option --rounds=3');
    expect(run.stderr).toContain('BENCH_ROUNDS');
    expect(run.stdout).not.toMatch(/^# /m);
  });
});
