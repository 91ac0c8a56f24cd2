import { randomUUID } from 'node:crypto';
import type { Random } from './random';
import { signatureHeaders, type RouteTemplate, type RouteWorld } from './routes';
import { brokenJson, deepNesting, DuplicateKeys, hostileNumber, hostileString, otherType, RawJson, toJsonText, type Json, type Mutant } from './values';

/**
 * One malformed request: the route's valid request broken in one way. `mustRefuse` is set when the break makes
 * the request invalid whatever the values (a wrong type, a missing field, an unknown parameter, no credentials):
 * a 2xx to it is a wrong success. Other breaks (a long string, a huge number) may or may not be valid.
 */
export interface FuzzRequest {
  target: string;
  variant: string;
  method: string;
  /** Path and query as they go on the request line (may hold malformed escapes). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  mustRefuse: boolean;
  watch: string[];
}

type Leaf = { path: (string | number)[]; value: Json };

function leaves(value: Json, path: (string | number)[] = []): Leaf[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [{ path: [...path, i], value: v }, ...leaves(v, [...path, i])]);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [{ path: [...path, k], value: v }, ...leaves(v, [...path, k])]);
  return [];
}

/** A copy of `root` with the value at `path` replaced (or removed when `replacement` is `undefined`). */
function replaced(root: Json, path: (string | number)[], replacement: Mutant | undefined): Mutant {
  if (path.length === 0) return replacement ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(root)) return root.map((v, i) => (i === head ? replaced(v, rest, replacement) : v)).filter((_, i) => !(i === head && rest.length === 0 && replacement === undefined)) as Mutant;
  const obj = root as Record<string, Json>;
  const out: Record<string, Mutant> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k !== head) out[k] = v;
    else if (rest.length > 0) out[k] = replaced(v, rest, replacement);
    else if (replacement !== undefined) out[k] = replacement;
  }
  return out;
}

const dotted = (path: (string | number)[]) => path.join('.');

interface BodyBreak {
  body: string | undefined;
  variant: string;
  mustRefuse: boolean;
}

function breakBody(rng: Random, template: RouteTemplate): BodyBreak {
  const body = template.body!;
  const valid = JSON.stringify(body);
  const fields = leaves(body);
  const field = rng.pick(fields);
  const name = dotted(field.path);
  const strict = template.strict !== false;
  const kinds = ['wrong type', 'missing', 'extra', 'null', 'string', 'number', 'duplicate key', 'nesting', 'broken json', 'not an object', 'empty', 'field nested'];
  switch (rng.pick(kinds)) {
    case 'wrong type': {
      const { value, label } = otherType(rng, field.value);
      return { body: toJsonText(replaced(body, field.path, value)), variant: `${name}: ${label}`, mustRefuse: true };
    }
    case 'missing': {
      const optional = (template.optional ?? []).some((o) => name === o || name.startsWith(`${o}.`) || o.startsWith(`${name}.`));
      // An array item removed leaves a shorter array, which may be valid; a field removed is refused unless optional.
      const inArray = typeof field.path[field.path.length - 1] === 'number';
      return { body: toJsonText(replaced(body, field.path, undefined)), variant: `${name}: missing`, mustRefuse: !optional && !inArray };
    }
    case 'extra': {
      const key = rng.pick(['extra', '__proto__', 'constructor', 'status', 'key', 'owner', 'isAdmin']);
      return { body: valid.replace(/^\{/, `{${JSON.stringify(key)}:${rng.pick(['1', '"x"', '{}', 'null'])},`), variant: `unknown field ${key}`, mustRefuse: strict };
    }
    case 'null':
      return { body: toJsonText(replaced(body, field.path, null)), variant: `${name}: null`, mustRefuse: field.value !== null };
    case 'string': {
      const { text, label } = hostileString(rng);
      return { body: toJsonText(replaced(body, field.path, text)), variant: `${name}: ${label}`, mustRefuse: typeof field.value !== 'string' };
    }
    case 'number': {
      const { value, label } = hostileNumber(rng);
      return { body: toJsonText(replaced(body, field.path, value)), variant: `${name}: ${label}`, mustRefuse: typeof field.value !== 'number' };
    }
    case 'duplicate key': {
      // The last one wins in JSON.parse; it carries the wrong type, so the request must be refused.
      const top = Object.entries(body as Record<string, Json>);
      const [key, value] = rng.pick(top);
      const { value: wrong, label } = otherType(rng, value);
      return { body: toJsonText(new DuplicateKeys([...top, [key, wrong]])), variant: `duplicate ${key}, the last ${label}`, mustRefuse: strict || !label.startsWith('object') };
    }
    case 'nesting': {
      const { value, label } = deepNesting(rng);
      return { body: toJsonText(replaced(body, field.path, value)), variant: `${name}: ${label}`, mustRefuse: true };
    }
    case 'broken json': {
      const { text, label } = brokenJson(rng, valid);
      return { body: text, variant: `not JSON: ${label}`, mustRefuse: true };
    }
    case 'not an object': {
      const text = rng.pick(['[]', '"text"', '42', 'null', 'true', `[${valid}]`]);
      return { body: text, variant: `body ${text.slice(0, 20)}`, mustRefuse: true };
    }
    case 'empty':
      return { body: '', variant: 'empty body', mustRefuse: true };
    default: {
      const { value, label } = rng.chance(0.5) ? otherType(rng, field.value) : { value: new RawJson('{"$where":"1"}'), label: 'an operator object' };
      return { body: toJsonText(replaced(body, field.path, [value])), variant: `${name}: wrapped ${label}`, mustRefuse: true };
    }
  }
}

const MALFORMED_SEGMENTS: [string, boolean][] = [
  // A `..` segment is resolved by the URL (as a browser does) before any route sees it: another path, not a break.
  ['..', false],
  ['..%2F..%2Fetc%2Fpasswd', true],
  ['%2e%2e%2f%2e%2e', true],
  ['%E0%A4%A', true],
  ['%00', true],
  ['a'.repeat(5000), true],
  ['%F0%9F%9A%80', true],
  ['%ED%A0%80', true],
  ['%20', true],
  ['x;y', true],
];

function fillPath(template: RouteTemplate, override?: [string, string]): string {
  return template.path.replace(/:(\w+)/g, (_, name: string) => (override && override[0] === name ? override[1] : encodeURIComponent(template.params![name]!)));
}

function queryText(query: Record<string, string> | [string, string][]): string {
  const pairs = Array.isArray(query) ? query : Object.entries(query);
  return pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

const enc = (pairs: Record<string, string>) => Object.fromEntries(Object.entries(pairs).map(([k, v]) => [k, encodeURIComponent(v)]));

/** The route's request broken one way; `intact` sends it unbroken (the baseline that shows the template is valid). */
export function httpCase(rng: Random, target: string, template: RouteTemplate, world: RouteWorld, intact = false): FuzzRequest {
  let path = fillPath(template);
  let query: [string, string][] = Object.entries(enc(template.query ?? {}));
  let bodyText = template.body === undefined ? undefined : JSON.stringify(template.body);
  let variant: string;
  let mustRefuse = false;
  let headers: Record<string, string> = {};
  let method = template.method;
  let authBroken = false;

  const kinds = [
    ...(template.body !== undefined ? ['body', 'body', 'body', 'body'] : []),
    ...(template.params ? ['path', 'path'] : []),
    ...(template.query ? ['query value', 'query value'] : []),
    'query extra',
    'header',
    'method',
  ];
  switch (intact ? 'intact' : rng.pick(kinds)) {
    case 'intact':
      variant = 'unbroken';
      break;
    case 'body': {
      const broken = breakBody(rng, template);
      bodyText = broken.body;
      variant = broken.variant;
      mustRefuse = broken.mustRefuse && !template.opaqueBody;
      break;
    }
    case 'path': {
      const name = rng.pick(Object.keys(template.params!));
      const [segment, refuse] = rng.pick(MALFORMED_SEGMENTS);
      path = fillPath(template, [name, segment]);
      variant = `path.${name} = ${segment.slice(0, 30)}`;
      mustRefuse = refuse;
      break;
    }
    case 'query value': {
      const name = rng.pick(Object.keys(template.query!));
      const { text, label } = rng.chance(0.6) ? hostileString(rng) : { text: String(toJsonText(hostileNumber(rng).value)), label: 'number edge' };
      const raw = text instanceof RawJson ? '%ED%A0%80' : encodeURIComponent(typeof text === 'string' ? text : JSON.stringify(text));
      query = [...query.filter(([k]) => k !== name), [name, rng.chance(0.2) ? '%E0%A4%A' : raw]];
      variant = `query.${name}: ${label}`;
      break;
    }
    case 'query extra': {
      const name = rng.pick(['dryRun', 'page', '__proto__', 'constructor', 'limit', 'admin']);
      const repeat = query.find(([k]) => k === name);
      query = [...query, [name, repeat ? '1' : 'x']];
      variant = repeat ? `query.${name} repeated` : `unknown query.${name}`;
      // A repeated parameter is joined with ',' (D127): refused by every parameter that cannot hold a comma.
      mustRefuse = !repeat;
      break;
    }
    case 'header': {
      const kind = rng.pick(['no auth', 'garbage auth', 'basic auth', 'huge header', 'content-type', 'expired-looking token', 'many headers', 'odd correlation id']);
      variant = `header: ${kind}`;
      switch (kind) {
        case 'no auth':
        case 'garbage auth':
        case 'basic auth':
        case 'expired-looking token':
          authBroken = true;
          headers.authorization = kind === 'garbage auth' ? 'Bearer not.a.jwt' : kind === 'basic auth' ? 'Basic YWRtaW46YWRtaW4tZGVtbw==' : kind === 'expired-looking token' ? `Bearer ${fakeExpiredToken()}` : '';
          if (template.auth === 'device') headers = { 'x-device-id': world.deviceId, 'x-timestamp': rng.pick(['', 'NaN', '1', '99999999999999999999']), 'x-signature': 'f'.repeat(64) };
          if (template.auth === 'webhook') headers = { 'x-sandbox-signature': rng.pick(['', 't=1,v1=zz', `t=${Date.now()},v1=${'0'.repeat(64)}`, 'v1=,t=']) };
          mustRefuse = template.auth !== 'none';
          break;
        case 'huge header':
          headers['x-fuzz-padding'] = 'p'.repeat(rng.pick([9_000, 20_000, 70_000]));
          break;
        case 'content-type':
          headers['content-type'] = rng.pick(['text/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', '', 'application/json;;;']);
          break;
        case 'many headers':
          for (let i = 0; i < 300; i++) headers[`x-fuzz-${i}`] = String(i);
          break;
        default:
          headers['x-correlation-id'] = rng.pick(['a'.repeat(4000), '../../x', '{"$ne":1}']);
      }
      break;
    }
    default: {
      method = rng.pick(['PATCH', 'DELETE', 'PUT', 'POST', 'GET', 'TRACE'].filter((m) => m !== template.method));
      variant = `method ${method}`;
      mustRefuse = !(method === 'DELETE' && template.path.endsWith('/fault'));
      // A GET on a POST route could be another route's (GET and POST /api/iot/devices): not a break then.
      if ((method === 'GET' || method === 'POST') && template.path.startsWith('/api/')) mustRefuse = !SHARED_PATHS.has(`${method} ${template.path}`);
    }
  }

  const body = bodyText === undefined ? undefined : Buffer.from(bodyText, 'utf8');
  const signed = authBroken ? {} : signatureHeaders(template.auth, world, body ?? Buffer.alloc(0));
  const base: Record<string, string> = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...signed };
  if (template.idempotent) base['idempotency-key'] = randomUUID();
  const finalHeaders = { ...base, ...headers };
  for (const name of Object.keys(finalHeaders)) if (finalHeaders[name] === '') delete finalHeaders[name];
  return {
    target,
    variant,
    method,
    path: `${path}${queryText(query)}`,
    headers: finalHeaders,
    ...(body !== undefined && method !== 'GET' ? { body } : {}),
    mustRefuse,
    watch: template.watch,
  };
}

/** Paths two routes share with different methods. */
const SHARED_PATHS = new Set(['GET /api/iot/devices', 'POST /api/iot/devices', 'GET /api/iot/reports', 'POST /api/iot/reports', 'GET /api/orders', 'POST /api/orders']);

/** A JWT-shaped token with a past `exp` and no valid signature: refused either way. */
function fakeExpiredToken(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'admin', role: 'admin', exp: 1 })}.${'A'.repeat(43)}`;
}
