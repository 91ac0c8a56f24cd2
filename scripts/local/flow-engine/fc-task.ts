/**
 * How a Task's `FC:InvokeFunction` talks to Function Compute, in one place for the local cloud and the
 * test bed (reference fnf.md §4):
 * - the function is named by `Parameters.resourceArn`, an FC 3.0 ARN
 *   `acs:fc:<region>:<account>:functions/<name>[/<qualifier>]` (empty region/account = the flow's own);
 * - it receives `Parameters.body` serialized: a string as its UTF-8 bytes, anything else as JSON, nothing
 *   when the body is absent (decision D28);
 * - a result becomes `$Output = { Body }`, `Body` the function's response parsed as JSON (the text itself
 *   when it is not JSON) — the shape the `$Input.Body`/`$Output.Body` of published CloudFlow flows read;
 * - a thrown error becomes the state error named by FC's `errorType` (the JS error's `name`), with its
 *   `errorMessage` as detail; throttling is `FC.ResourceThrottled`, a missing function
 *   `FC.FunctionNotFound`, anything FC answers without an error type `FC.Unknown`.
 */
export interface FunctionArn {
  region: string;
  account: string;
  functionName: string;
  qualifier?: string;
}

const FC3_ARN = /^acs:fc:([a-z0-9-]*):(\d*):functions\/([A-Za-z0-9_-]+)(?:\/([A-Za-z0-9_.-]+))?$/;

export function parseFunctionArn(arn: string): FunctionArn | { error: string } {
  if (/^acs:fc:[^:]*:[^:]*:services\//.test(arn)) {
    return { error: `"${arn}" is an FC 2.0 service ARN; FC 3.0 functions are named acs:fc:<region>:<account>:functions/<name>` };
  }
  const m = FC3_ARN.exec(arn);
  if (!m) return { error: `"${arn}" is not a function ARN (acs:fc:<region>:<account>:functions/<name>[/<qualifier>])` };
  return { region: m[1]!, account: m[2]!, functionName: m[3]!, ...(m[4] ? { qualifier: m[4] } : {}) };
}

/** The bytes a function receives as its event. */
export function taskPayload(body: unknown): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
}

/** `$Output` of a finished `FC:InvokeFunction`. */
export function taskOutput(payload: Buffer): { Body: unknown } {
  const text = payload.toString('utf8');
  if (text === '') return { Body: '' };
  try {
    return { Body: JSON.parse(text) as unknown };
  } catch {
    return { Body: text };
  }
}

/** What a task invocation came back with, as the engine sees it. */
export type TaskResult = { ok: true; payload: Buffer } | { ok: false; error: string; cause: string };

/** One FC invocation's outcome, as the local runtime records it. */
export interface FcOutcome {
  status: 'succeeded' | 'failed' | 'timeout' | 'throttled';
  payload: Buffer;
  error?: { errorType?: string; errorMessage?: string };
}

export function taskResultFromFc(outcome: FcOutcome): TaskResult {
  if (outcome.status === 'succeeded') return { ok: true, payload: outcome.payload };
  const cause = outcome.error?.errorMessage ?? '';
  if (outcome.status === 'throttled') return { ok: false, error: 'FC.ResourceThrottled', cause };
  return { ok: false, error: outcome.error?.errorType || 'FC.Unknown', cause };
}

/**
 * Resolve a Task's resourceArn against the local cloud's functions: the ARN must be FC 3.0's, in the
 * local region and account (or leave them empty, meaning the flow's own), with no qualifier but LATEST,
 * and name a function s.yaml declares.
 */
export function resolveLocalFunction(arn: string, local: { region: string; accountId: string; hasFunction: (name: string) => boolean }): { functionName: string } | { error: string } {
  const parsed = parseFunctionArn(arn);
  if ('error' in parsed) return parsed;
  if (parsed.region && parsed.region !== local.region) return { error: `region ${parsed.region} is not the local cloud's region ${local.region}` };
  if (parsed.account && parsed.account !== local.accountId) return { error: `account ${parsed.account} is not the local account ${local.accountId} (write \${config('AccountID')})` };
  if (parsed.qualifier && parsed.qualifier !== 'LATEST') return { error: `qualifier ${parsed.qualifier}: only LATEST exists locally` };
  if (!local.hasFunction(parsed.functionName)) return { error: `function ${parsed.functionName} is not declared in s.yaml` };
  return { functionName: parsed.functionName };
}
