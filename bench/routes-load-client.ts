/**
 * One load of `routes-load.bench.ts`, in a process of its own (so generating load does not share the local
 * cloud's event loop): `node --import tsx bench/routes-load-client.ts '<json>'` with the fixtures, a route name,
 * the connections and seconds. HTTP routes run under autocannon (one request stream per connection, every
 * answer's body checked); SDK routes run that many concurrent callers of one SDK client for the same time.
 * Afterwards the route's accepted writes are checked for landing. Prints one JSON result on stdout.
 */
import { createRequire } from 'node:module';
import { httpRoutes, sdkRoutes, type HttpRoute, type Landing, type RouteFixtures, type SdkRoute } from '../test/helpers/route-load';

export interface LoadInput {
  fixtures: RouteFixtures;
  route: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  route: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  total: number;
  statuses: Record<string, number>;
  /** Connection errors (resets, refusals) and requests with no answer within the timeout. */
  errors: number;
  timeouts: number;
  wrong: number;
  wrongExamples: string[];
  landing?: Landing;
}

const TIMEOUT_S = 30;

/** The part of autocannon's API (untyped package) this client uses. */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
}
const autocannon = createRequire(__filename)('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

async function runHttp(route: HttpRoute, connections: number, seconds: number): Promise<Omit<LoadResult, 'route' | 'connections'>> {
  const statuses: Record<string, number> = {};
  const wrongExamples: string[] = [];
  let wrong = 0;
  const result = await autocannon({
    url: route.origin,
    connections,
    duration: seconds,
    timeout: TIMEOUT_S,
    requests: [
      {
        setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
          const next = route.next();
          context.note = next.note;
          return { ...req, method: next.method, path: next.path, headers: next.headers ?? {}, ...(next.body !== undefined ? { body: next.body } : {}) };
        },
        onResponse: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          // autocannon hands the headers as the server spelt them; HTTP names are case-insensitive.
          const named = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
          const problem = route.check(status, body, context.note, named);
          if (problem) {
            wrong++;
            if (wrongExamples.length < 3) wrongExamples.push(problem);
          }
        },
      },
    ],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total, statuses, errors: result.errors, timeouts: result.timeouts, wrong, wrongExamples };
}

async function runSdk(route: SdkRoute, connections: number, seconds: number): Promise<Omit<LoadResult, 'route' | 'connections'>> {
  const latencies: number[] = [];
  const wrongExamples: string[] = [];
  const statuses: Record<string, number> = {};
  let wrong = 0;
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const t0 = performance.now();
        try {
          const problem = await route.call();
          if (problem) {
            wrong++;
            if (wrongExamples.length < 3) wrongExamples.push(problem);
          }
          statuses['200'] = (statuses['200'] ?? 0) + 1;
        } catch (err) {
          // The SDKs throw the service's answer: count it by its HTTP status, as autocannon counts one.
          const status = (err as { status?: number; statusCode?: number; code?: string }).status ?? (err as { statusCode?: number }).statusCode;
          if (status) statuses[status] = (statuses[status] ?? 0) + 1;
          else errors++;
          if (wrongExamples.length < 3) wrongExamples.push(`${(err as Error).name}: ${(err as Error).message.slice(0, 160)}`);
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), total: latencies.length, statuses, errors, timeouts: 0, wrong, wrongExamples };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]!) as LoadInput;
  const route = [...httpRoutes(input.fixtures), ...sdkRoutes(input.fixtures)].find((r) => r.name === input.route);
  if (!route) throw new Error(`no route ${input.route}`);
  const measured = route.kind === 'http' ? await runHttp(route, input.connections, input.seconds) : await runSdk(route, input.connections, input.seconds);
  const landing = route.verify ? await route.verify() : undefined;
  const result: LoadResult = { route: route.name, connections: input.connections, ...measured, ...(landing ? { landing } : {}) };
  process.stdout.write(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
