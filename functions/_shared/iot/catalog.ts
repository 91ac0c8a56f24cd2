/**
 * The IoT device catalogue: which device types exist, which metrics each reports, in which unit, what range
 * a working sensor can produce, and the alert rules per type ("model matching", PRODUCT.md §4 IoT ETL step 3).
 *
 * One table drives the ingest's per-reading checks, the ETL's unit conversion and range check, the rollup's
 * rules, the simulator's signals and the dashboard's labels, so they can never disagree.
 */

export type Severity = 'warning' | 'critical';

/** A threshold rule: a minute whose maximum is above `above` (or minimum below `below`) is an anomaly. */
export interface ThresholdRule {
  above?: number;
  below?: number;
  severity: Severity;
}

export interface MetricSpec {
  /** Canonical unit: stored values are in this unit. */
  unit: string;
  label: string;
  /** What a working sensor can report (after conversion); anything else is a broken reading, not an anomaly. */
  min: number;
  max: number;
  /** Other spellings of the canonical unit and convertible units → a function to the canonical unit. */
  units: Record<string, (value: number) => number>;
  /** Limits whose crossing raises an alert. */
  threshold?: ThresholdRule;
  /**
   * z-score rule: a minute whose extreme lies more than `zScore` standard deviations from the mean of the
   * previous hour's readings is an anomaly (warning).
   */
  zScore: number;
  /** Decimal places worth showing. */
  decimals: number;
}

export interface DeviceTypeSpec {
  label: string;
  metrics: Record<string, MetricSpec>;
}

const same = (v: number) => v;

export const DEVICE_TYPES = {
  'env-sensor': {
    label: 'Environment sensor',
    metrics: {
      temperature: {
        unit: '°C',
        label: 'Temperature',
        min: -40,
        max: 85,
        units: { '°C': same, C: same, celsius: same, '°F': (f) => ((f - 32) * 5) / 9, F: (f) => ((f - 32) * 5) / 9, K: (k) => k - 273.15 },
        threshold: { above: 40, below: 0, severity: 'critical' },
        zScore: 5,
        decimals: 1,
      },
      humidity: { unit: '%', label: 'Humidity', min: 0, max: 100, units: { '%': same, '%RH': same }, threshold: { above: 85, severity: 'warning' }, zScore: 5, decimals: 0 },
      co2: { unit: 'ppm', label: 'CO₂', min: 0, max: 10000, units: { ppm: same }, threshold: { above: 1500, severity: 'warning' }, zScore: 5, decimals: 0 },
    },
  },
  'power-meter': {
    label: 'Power meter',
    metrics: {
      voltage: { unit: 'V', label: 'Voltage', min: 0, max: 400, units: { V: same, mV: (v) => v / 1000 }, threshold: { above: 250, below: 200, severity: 'critical' }, zScore: 6, decimals: 1 },
      current: { unit: 'A', label: 'Current', min: 0, max: 100, units: { A: same, mA: (v) => v / 1000 }, threshold: { above: 32, severity: 'critical' }, zScore: 6, decimals: 2 },
      power: { unit: 'W', label: 'Power', min: 0, max: 30000, units: { W: same, kW: (v) => v * 1000 }, threshold: { above: 7000, severity: 'warning' }, zScore: 6, decimals: 0 },
    },
  },
  pump: {
    label: 'Pump',
    metrics: {
      pressure: {
        unit: 'bar',
        label: 'Pressure',
        min: 0,
        max: 25,
        units: { bar: same, kPa: (v) => v / 100, psi: (v) => v * 0.0689476 },
        threshold: { above: 10, below: 0.5, severity: 'critical' },
        zScore: 5,
        decimals: 2,
      },
      flow: { unit: 'L/min', label: 'Flow', min: 0, max: 1000, units: { 'L/min': same, 'm3/h': (v) => (v * 1000) / 60 }, zScore: 5, decimals: 1 },
      // ISO 10816-3: above 7.1 mm/s RMS a machine of this class is in the "unsatisfactory" zone.
      vibration: { unit: 'mm/s', label: 'Vibration', min: 0, max: 100, units: { 'mm/s': same }, threshold: { above: 7.1, severity: 'warning' }, zScore: 5, decimals: 2 },
    },
  },
} as const satisfies Record<string, DeviceTypeSpec>;

export type DeviceType = keyof typeof DEVICE_TYPES;
export const DEVICE_TYPE_NAMES = Object.keys(DEVICE_TYPES) as [DeviceType, ...DeviceType[]];

/** The longest device name, in characters (code points): the registry refuses a longer one, the dashboard says so first. */
export const DEVICE_NAME_MAX = 64;

export function isDeviceType(value: string): value is DeviceType {
  return Object.hasOwn(DEVICE_TYPES, value);
}

export function metricSpec(type: string, metric: string): MetricSpec | undefined {
  if (!isDeviceType(type)) return undefined;
  const metrics: Record<string, MetricSpec> = DEVICE_TYPES[type].metrics;
  return Object.hasOwn(metrics, metric) ? metrics[metric] : undefined;
}

export function metricNames(type: DeviceType): string[] {
  return Object.keys(DEVICE_TYPES[type].metrics);
}

/** Why one reading was not accepted; shared by the ingest's `rejected` list and the ETL's drop counters. */
export type ReadingProblem = 'unknown-metric' | 'unknown-unit' | 'out-of-range' | 'ts-too-old' | 'ts-in-future' | 'duplicate';

/** How far back a reading may be (devices buffer through outages); raw data lives 30 days. */
export const MAX_READING_AGE_MS = 24 * 3600_000;
/** How far ahead of the server's clock a reading may be (the same bound as the request skew). */
export const MAX_READING_LEAD_MS = 5 * 60_000;

/** What a device of `type` can report, as a sentence fragment: "an env-sensor reports temperature, humidity, co2". */
export function whatTypeReports(type: string): string {
  const article = /^[aeiou]/i.test(type) ? 'an' : 'a';
  return `${article} ${type} reports ${isDeviceType(type) ? metricNames(type).join(', ') : 'nothing'}`;
}

export type ReadingCheck = { ok: true; value: number } | { ok: false; problem: ReadingProblem; detail: string };

/**
 * Checks one reading of a device of `type` and converts its value to the metric's canonical unit.
 * @example checkReading('env-sensor', { ts, metric: 'temperature', value: 70, unit: '°F' }, now) // { ok: true, value: 21.1… }
 */
export function checkReading(type: string, reading: { ts: number; metric: string; value: number; unit?: string | undefined }, now: number): ReadingCheck {
  const spec = metricSpec(type, reading.metric);
  if (!spec) return { ok: false, problem: 'unknown-metric', detail: whatTypeReports(type) };
  let value = reading.value;
  if (reading.unit !== undefined) {
    const convert = Object.hasOwn(spec.units, reading.unit) ? spec.units[reading.unit] : undefined;
    if (!convert) return { ok: false, problem: 'unknown-unit', detail: `${reading.metric} is measured in ${Object.keys(spec.units).join(', ')}` };
    // 12 significant digits: 71.6 °F is 22 °C, not 21.999999999999996.
    value = Number(convert(value).toPrecision(12));
  }
  if (!(value >= spec.min && value <= spec.max)) {
    return { ok: false, problem: 'out-of-range', detail: `${reading.metric} must be ${spec.min}…${spec.max} ${spec.unit}` };
  }
  if (reading.ts < now - MAX_READING_AGE_MS) return { ok: false, problem: 'ts-too-old', detail: 'readings older than 24 hours are not accepted' };
  if (reading.ts > now + MAX_READING_LEAD_MS) return { ok: false, problem: 'ts-in-future', detail: 'ts is more than 5 minutes ahead of the server clock' };
  return { ok: true, value };
}
