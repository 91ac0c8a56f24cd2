import { DEVICE_TYPES, type DeviceType, type MetricSpec } from '../../functions/_shared/iot/catalog';

/**
 * Realistic sensor signals for the device simulator: a daily cycle (peaking mid-afternoon), Gaussian noise,
 * occasional spikes (a few standard deviations, caught by the z-score rule), rare faults that push a value
 * over its alert limit for a while (threshold rules), rare glitches outside the sensor's range (the ingest
 * rejects those), and dropouts where a device sends nothing. Every device draws from its own seeded
 * generator, so a run is reproducible.
 */
export interface SignalProfile {
  base: number;
  /** Amplitude of the daily cycle (negative: lowest in the afternoon, e.g. humidity). */
  daily: number;
  noise: number;
  /** The value a fault drives the signal to (over a threshold). */
  fault?: number;
}

export const PROFILES: Record<DeviceType, Record<string, SignalProfile>> = {
  'env-sensor': {
    temperature: { base: 22, daily: 3, noise: 0.15, fault: 46 },
    humidity: { base: 50, daily: -8, noise: 0.8, fault: 92 },
    co2: { base: 620, daily: 160, noise: 12, fault: 1900 },
  },
  'power-meter': {
    voltage: { base: 230, daily: 2, noise: 0.6, fault: 256 },
    current: { base: 9, daily: 4, noise: 0.3, fault: 36 },
    power: { base: 1950, daily: 850, noise: 60, fault: 7600 },
  },
  pump: {
    pressure: { base: 4.5, daily: 0.4, noise: 0.05, fault: 11.5 },
    flow: { base: 120, daily: 20, noise: 2 },
    vibration: { base: 2.2, daily: 0.2, noise: 0.08, fault: 8.5 },
  },
};

export interface AnomalyRates {
  /** Chance per reading of a spike of 8–14 standard deviations. */
  spike: number;
  /** Chance per device-second that a fault starts on one metric (lasts 40–150 s). */
  fault: number;
  /** Chance per reading of a value outside the sensor's range (rejected by the ingest). */
  glitch: number;
  /** Chance per device-second that the device goes silent for 10–60 s. */
  dropout: number;
}

export const DEFAULT_RATES: AnomalyRates = { spike: 1 / 20_000, fault: 1 / 7200, glitch: 1 / 50_000, dropout: 1 / 3600 };

/** A generator seeded by a name (FNV-1a of the string → mulberry32): one noise stream per device. */
export function seededRandom(seed: string): () => number {
  let hash = 2166136261;
  for (const ch of seed) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619);
  return mulberry32(hash);
}

/** mulberry32: small, fast, good enough for simulated noise and for reproducible generated test cases. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimReading {
  ts: number;
  metric: string;
  value: number;
}

/** One simulated device: call `readings(from, to)` for the readings it takes in `[from, to)`. */
export class DeviceSignal {
  private readonly random: () => number;
  private readonly metrics: [string, MetricSpec, SignalProfile][];
  private silentUntil = 0;
  private readonly faults = new Map<string, number>();
  private lastSecond = 0;

  constructor(
    readonly deviceId: string,
    readonly type: DeviceType,
    /** Readings per second per metric. */
    private readonly hz: number,
    private readonly rates: AnomalyRates = DEFAULT_RATES,
  ) {
    this.random = seededRandom(deviceId);
    const specs = DEVICE_TYPES[type].metrics as Record<string, MetricSpec>;
    this.metrics = Object.entries(PROFILES[type]).map(([metric, profile]) => [metric, specs[metric]!, profile]);
  }

  /** Whether the device is in a dropout at `ts` (it takes readings it will never send). */
  silent(ts: number): boolean {
    return ts < this.silentUntil;
  }

  readings(from: number, to: number): SimReading[] {
    const out: SimReading[] = [];
    const period = 1000 / this.hz;
    // Sample times fall on a fixed grid, so two runs over the same span agree and `ts` never repeats.
    for (let ts = Math.ceil(from / period) * period; ts < to; ts += period) {
      const t = Math.round(ts);
      this.advanceSeconds(t);
      if (this.silent(t)) continue;
      for (const [metric, spec, profile] of this.metrics) out.push({ ts: t, metric, value: this.sample(t, metric, spec, profile) });
    }
    return out;
  }

  private advanceSeconds(ts: number): void {
    const second = Math.floor(ts / 1000);
    if (this.lastSecond === 0) this.lastSecond = second;
    for (; this.lastSecond < second; this.lastSecond++) {
      if (this.random() < this.rates.dropout) this.silentUntil = Math.max(this.silentUntil, ts + 10_000 + this.random() * 50_000);
      if (this.random() < this.rates.fault) {
        const faultable = this.metrics.filter(([, , p]) => p.fault !== undefined);
        const pick = faultable[Math.floor(this.random() * faultable.length)];
        if (pick) this.faults.set(pick[0], ts + 40_000 + this.random() * 110_000);
      }
    }
  }

  private sample(ts: number, metric: string, spec: MetricSpec, profile: SignalProfile): number {
    // Daily cycle in UTC+8 (the seed's devices are in China), lowest around 04:00, highest around 16:00.
    const hourOfDay = (((ts / 3600_000 + 8) % 24) + 24) % 24;
    let value = profile.base + profile.daily * Math.sin(((hourOfDay - 10) / 24) * 2 * Math.PI) + profile.noise * this.gauss();
    const faultUntil = this.faults.get(metric);
    if (faultUntil !== undefined) {
      if (ts < faultUntil) value = profile.fault! + profile.noise * this.gauss();
      else this.faults.delete(metric);
    }
    if (this.random() < this.rates.spike) value += (this.random() < 0.5 ? -1 : 1) * (8 + 6 * this.random()) * profile.noise;
    if (this.random() < this.rates.glitch) return spec.max * 10 + 1;
    value = Math.min(spec.max, Math.max(spec.min, value));
    const f = 10 ** (spec.decimals + 1);
    return Math.round(value * f) / f;
  }

  /** Standard normal (Box–Muller). */
  private gauss(): number {
    return Math.sqrt(-2 * Math.log(this.random() + 1e-12)) * Math.cos(2 * Math.PI * this.random());
  }
}
