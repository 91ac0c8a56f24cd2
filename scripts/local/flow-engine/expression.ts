import { createHash } from 'node:crypto';

/**
 * CloudFlow's expression language, as its docs define it (select-choice "条件表达式", input-and-output,
 * built-in-functions): the system variables `$Input`, `$Output` and `$Context`, member access (`.a`,
 * `["a-b"]`, `[0]`), literals (numbers, `"…"`/`'…'`/`` `…` `` strings, `true`, `false`, `null`/`nil`),
 * array and map literals (`{"action": "insert", "body": $Input}`), comparison (`== != < <= > >=`, for
 * numbers and strings), logic (`&& || !` and `and or not`), arithmetic (`+ - * / %`, `+` also joins
 * strings), `in` (an array holds a value / a map has a key), and the documented built-in functions.
 *
 * A small Pratt parser, no `eval`. Parsing happens when a flow loads, so a malformed expression or an
 * unknown function is refused there, naming the state; evaluation errors at run time fail the state with
 * `FnF.RuntimeError` (see errors.ts).
 */
export type Ast =
  | { k: 'lit'; v: unknown }
  | { k: 'var'; name: Variable }
  | { k: 'member'; obj: Ast; prop: string }
  | { k: 'index'; obj: Ast; index: Ast }
  | { k: 'call'; name: string; args: Ast[] }
  | { k: 'unary'; op: '!' | '-'; arg: Ast }
  | { k: 'binary'; op: BinaryOp; left: Ast; right: Ast }
  | { k: 'array'; items: Ast[] }
  | { k: 'object'; entries: [string, Ast][] };

export type Variable = 'Input' | 'Output' | 'Context';
type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | '+' | '-' | '*' | '/' | '%';

/** What an expression can see: `$Input`, `$Output` (only inside an output constructor), `$Context`. */
export interface EvalScope {
  Input?: unknown;
  Output?: unknown;
  Context?: unknown;
  /** `uuid()`; injected so executions are reproducible under test. */
  uuid?: () => string;
}

export class ExpressionSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly position: number,
    problem: string,
  ) {
    super(`${problem} at position ${position} of \`${source}\``);
    this.name = 'ExpressionSyntaxError';
  }
}

/** Raised while evaluating; the engine turns it into the state error `FnF.RuntimeError`. */
export class ExpressionRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionRuntimeError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Lexer

type Token =
  | { t: 'num'; v: number; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'id'; v: string; at: number }
  | { t: 'var'; v: string; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'end'; at: number };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '+', '-', '*', '/', '%', '(', ')', '[', ']', '{', '}', ',', ':', '.'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (/[0-9]/.test(c)) {
      const m = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i))!;
      tokens.push({ t: 'num', v: Number(m[0]), at });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const [value, end] = readQuoted(source, i, c);
      tokens.push({ t: 'str', v: value, at });
      i = end;
      continue;
    }
    if (c === '`') {
      const end = source.indexOf('`', i + 1);
      if (end < 0) throw new ExpressionSyntaxError(source, i, 'unterminated `string`');
      tokens.push({ t: 'str', v: source.slice(i + 1, end), at });
      i = end + 1;
      continue;
    }
    if (c === '$' || /[A-Za-z_]/.test(c)) {
      const m = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
      if (!m) throw new ExpressionSyntaxError(source, i, 'a `$` must start a variable such as $Input');
      tokens.push(c === '$' ? { t: 'var', v: m[0].slice(1), at } : { t: 'id', v: m[0], at });
      i += m[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new ExpressionSyntaxError(source, i, `unexpected character ${JSON.stringify(c)}`);
    tokens.push({ t: 'op', v: op, at });
    i += op.length;
  }
  tokens.push({ t: 'end', at: source.length });
  return tokens;
}

function readQuoted(source: string, start: number, quote: string): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < source.length) {
    const c = source[i]!;
    if (c === quote) return [out, i + 1];
    if (c === '\\') {
      const n = source[i + 1];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '\\': '\\', '/': '/', '"': '"', "'": "'" };
      if (n !== undefined && simple[n] !== undefined) {
        out += simple[n];
        i += 2;
        continue;
      }
      if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      throw new ExpressionSyntaxError(source, i, 'invalid escape sequence');
    }
    out += c;
    i++;
  }
  throw new ExpressionSyntaxError(source, start, 'unterminated string');
}

// ---------------------------------------------------------------------------------------------------
// Parser

const BINDING: Record<string, number> = {
  '||': 1,
  or: 1,
  '&&': 2,
  and: 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '<=': 3,
  '>': 3,
  '>=': 3,
  in: 3,
  not: 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
};
const UNARY_BINDING = 6;
const VARIABLES = new Set<string>(['Input', 'Output', 'Context']);

/**
 * Parse an expression; throws ExpressionSyntaxError naming the position.
 * @example parseExpression('$Input.amount > 100 && $Input.currency == "CNY"')
 */
export function parseExpression(source: string): Ast {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const next = () => tokens[pos++]!;
  const fail = (token: Token, problem: string): never => {
    throw new ExpressionSyntaxError(source, token.at, problem);
  };
  const isOp = (token: Token, v: string) => token.t === 'op' && token.v === v;
  const expectOp = (v: string) => {
    const token = next();
    if (!isOp(token, v)) fail(token, `expected "${v}"`);
  };

  function infixOf(token: Token): string | undefined {
    if (token.t === 'op' && BINDING[token.v] !== undefined) return token.v;
    if (token.t === 'id' && ['and', 'or', 'in', 'not'].includes(token.v)) return token.v;
    return undefined;
  }

  function expression(minBinding: number): Ast {
    let left = prefix();
    for (;;) {
      const token = peek();
      const op = infixOf(token);
      if (!op || BINDING[op]! <= minBinding) break;
      next();
      if (op === 'not') {
        const inToken = next();
        if (!(inToken.t === 'id' && inToken.v === 'in')) fail(inToken, 'expected "in" after "not"');
        left = { k: 'binary', op: 'not in', left, right: expression(BINDING.in!) };
        continue;
      }
      const normalized = (op === 'and' ? '&&' : op === 'or' ? '||' : op) as BinaryOp;
      left = { k: 'binary', op: normalized, left, right: expression(BINDING[op]!) };
    }
    return left;
  }

  function prefix(): Ast {
    const token = next();
    let node: Ast;
    if (token.t === 'num') node = { k: 'lit', v: token.v };
    else if (token.t === 'str') node = { k: 'lit', v: token.v };
    else if (token.t === 'var') {
      if (token.v === 'Global') fail(token, '$Global (global variables) is not supported by the local CloudFlow engine');
      if (!VARIABLES.has(token.v)) fail(token, `unknown variable $${token.v} (use $Input, $Output or $Context)`);
      node = { k: 'var', name: token.v as Variable };
    } else if (token.t === 'id') {
      if (token.v === 'true' || token.v === 'false') node = { k: 'lit', v: token.v === 'true' };
      else if (token.v === 'null' || token.v === 'nil') node = { k: 'lit', v: null };
      else if (token.v === 'not') node = { k: 'unary', op: '!', arg: expression(UNARY_BINDING) };
      else if (isOp(peek(), '(')) node = call(token);
      else return fail(token, `unknown name "${token.v}" (variables start with $, e.g. $Input.${token.v})`);
    } else if (token.t === 'op' && (token.v === '!' || token.v === '-')) {
      node = { k: 'unary', op: token.v, arg: expression(UNARY_BINDING) };
    } else if (isOp(token, '(')) {
      node = expression(0);
      expectOp(')');
    } else if (isOp(token, '[')) {
      node = { k: 'array', items: list(']') };
    } else if (isOp(token, '{')) {
      node = objectLiteral();
    } else {
      return fail(token, token.t === 'end' ? 'unexpected end of expression' : 'unexpected token');
    }
    return postfix(node);
  }

  function postfix(node: Ast): Ast {
    for (;;) {
      const token = peek();
      if (isOp(token, '.')) {
        next();
        const name = next();
        if (name.t !== 'id') fail(name, 'expected a field name after "."');
        node = { k: 'member', obj: node, prop: (name as { v: string }).v };
      } else if (isOp(token, '[')) {
        next();
        const index = expression(0);
        expectOp(']');
        node = { k: 'index', obj: node, index };
      } else {
        return node;
      }
    }
  }

  function list(close: string): Ast[] {
    const items: Ast[] = [];
    if (isOp(peek(), close)) {
      next();
      return items;
    }
    for (;;) {
      items.push(expression(0));
      const token = next();
      if (isOp(token, close)) return items;
      if (!isOp(token, ',')) fail(token, `expected "," or "${close}"`);
    }
  }

  function objectLiteral(): Ast {
    const entries: [string, Ast][] = [];
    if (isOp(peek(), '}')) {
      next();
      return { k: 'object', entries };
    }
    for (;;) {
      const key = next();
      if (key.t !== 'str' && key.t !== 'id') fail(key, 'expected a key in a map literal');
      expectOp(':');
      entries.push([(key as { v: string }).v, expression(0)]);
      const token = next();
      if (isOp(token, '}')) return { k: 'object', entries };
      if (!isOp(token, ',')) fail(token, 'expected "," or "}"');
    }
  }

  function call(name: Token & { t: 'id' }): Ast {
    const spec = BUILTINS[name.v];
    if (!spec) fail(name, `unknown built-in function ${name.v}() (supported: ${Object.keys(BUILTINS).join(', ')})`);
    next(); // (
    const args = list(')');
    if (args.length < spec!.min || args.length > spec!.max) {
      fail(name, `${name.v}() takes ${spec!.min === spec!.max ? spec!.min : `${spec!.min}..${spec!.max === Infinity ? 'n' : spec!.max}`} arguments, got ${args.length}`);
    }
    return { k: 'call', name: name.v, args };
  }

  const ast = expression(0);
  const rest = peek();
  if (rest.t !== 'end') fail(rest, 'unexpected text after the expression');
  return ast;
}

/** The system variables an expression reads, e.g. to refuse `$Output` outside an output constructor. */
export function variablesOf(ast: Ast, out = new Set<Variable>()): Set<Variable> {
  switch (ast.k) {
    case 'var':
      out.add(ast.name);
      break;
    case 'member':
      variablesOf(ast.obj, out);
      break;
    case 'index':
      variablesOf(ast.obj, out);
      variablesOf(ast.index, out);
      break;
    case 'call':
      ast.args.forEach((a) => variablesOf(a, out));
      break;
    case 'unary':
      variablesOf(ast.arg, out);
      break;
    case 'binary':
      variablesOf(ast.left, out);
      variablesOf(ast.right, out);
      break;
    case 'array':
      ast.items.forEach((a) => variablesOf(a, out));
      break;
    case 'object':
      ast.entries.forEach(([, a]) => variablesOf(a, out));
      break;
    default:
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'map' : typeof v;
}

/** JSON equality: numbers by value, maps by keys regardless of order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Evaluate a parsed expression. Reading a field of something that is not a map (or is missing) gives
 * null, like a JSON path that matches nothing; operators on mismatched types throw ExpressionRuntimeError.
 */
export function evaluate(ast: Ast, scope: EvalScope): unknown {
  switch (ast.k) {
    case 'lit':
      return ast.v;
    case 'var':
      return scope[ast.name] ?? null;
    case 'member': {
      const obj = evaluate(ast.obj, scope);
      return isMap(obj) && Object.prototype.hasOwnProperty.call(obj, ast.prop) ? obj[ast.prop] : null;
    }
    case 'index':
      return indexInto(evaluate(ast.obj, scope), evaluate(ast.index, scope));
    case 'array':
      return ast.items.map((item) => evaluate(item, scope));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, value] of ast.entries) out[key] = evaluate(value, scope);
      return out;
    }
    case 'unary': {
      const v = evaluate(ast.arg, scope);
      if (ast.op === '!') {
        if (typeof v !== 'boolean') throw new ExpressionRuntimeError(`"!" needs a boolean, got ${describe(v)}`);
        return !v;
      }
      if (typeof v !== 'number') throw new ExpressionRuntimeError(`"-" needs a number, got ${describe(v)}`);
      return -v;
    }
    case 'binary':
      return binary(ast.op, ast.left, ast.right, scope);
    case 'call':
      return BUILTINS[ast.name]!.fn(
        ast.args.map((a) => evaluate(a, scope)),
        scope,
      );
  }
}

function indexInto(obj: unknown, index: unknown): unknown {
  if (Array.isArray(obj) && typeof index === 'number' && Number.isInteger(index)) return obj[index < 0 ? obj.length + index : index] ?? null;
  if (isMap(obj) && typeof index === 'string') return Object.prototype.hasOwnProperty.call(obj, index) ? obj[index] : null;
  if (typeof obj === 'string' && typeof index === 'number' && Number.isInteger(index)) return obj[index < 0 ? obj.length + index : index] ?? null;
  return null;
}

function binary(op: BinaryOp, leftAst: Ast, rightAst: Ast, scope: EvalScope): unknown {
  if (op === '&&' || op === '||') {
    const left = evaluate(leftAst, scope);
    if (typeof left !== 'boolean') throw new ExpressionRuntimeError(`"${op}" needs booleans, got ${describe(left)}`);
    if (op === '&&' ? !left : left) return left;
    const right = evaluate(rightAst, scope);
    if (typeof right !== 'boolean') throw new ExpressionRuntimeError(`"${op}" needs booleans, got ${describe(right)}`);
    return right;
  }
  const left = evaluate(leftAst, scope);
  const right = evaluate(rightAst, scope);
  switch (op) {
    case '==':
      return deepEqual(left, right);
    case '!=':
      return !deepEqual(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const comparable = (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string');
      if (!comparable) throw new ExpressionRuntimeError(`"${op}" compares two numbers or two strings, got ${describe(left)} and ${describe(right)}`);
      const l = left as number | string;
      const r = right as number | string;
      return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
    }
    case 'in':
    case 'not in': {
      let found: boolean;
      if (Array.isArray(right)) found = right.some((x) => deepEqual(x, left));
      else if (isMap(right) && typeof left === 'string') found = Object.prototype.hasOwnProperty.call(right, left);
      else throw new ExpressionRuntimeError(`"in" needs an array, or a map and a string key, got ${describe(left)} in ${describe(right)}`);
      return op === 'in' ? found : !found;
    }
    case '+':
      if (typeof left === 'number' && typeof right === 'number') return left + right;
      if (typeof left === 'string' && typeof right === 'string') return left + right;
      throw new ExpressionRuntimeError(`"+" adds two numbers or joins two strings, got ${describe(left)} and ${describe(right)}`);
    default: {
      if (typeof left !== 'number' || typeof right !== 'number') throw new ExpressionRuntimeError(`"${op}" needs numbers, got ${describe(left)} and ${describe(right)}`);
      if ((op === '/' || op === '%') && right === 0) throw new ExpressionRuntimeError(`division by zero`);
      return op === '-' ? left - right : op === '*' ? left * right : op === '/' ? left / right : left % right;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Built-in functions (help.aliyun.com/document_detail/2579872, "内置函数"): only those whose name and
// argument order the docs show; anything else is refused when the flow loads.

type Builtin = { min: number; max: number; fn: (args: unknown[], scope: EvalScope) => unknown };

const needString = (fn: string, v: unknown): string => {
  if (typeof v !== 'string') throw new ExpressionRuntimeError(`${fn}() needs a string, got ${describe(v)}`);
  return v;
};
const needArray = (fn: string, v: unknown): unknown[] => {
  if (!Array.isArray(v)) throw new ExpressionRuntimeError(`${fn}() needs an array, got ${describe(v)}`);
  return v;
};
const needMap = (fn: string, v: unknown): Record<string, unknown> => {
  if (!isMap(v)) throw new ExpressionRuntimeError(`${fn}() needs a map, got ${describe(v)}`);
  return v;
};
const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v ?? null));

function parseJson(v: unknown): unknown {
  try {
    return JSON.parse(needString('stringToJson', v));
  } catch (err) {
    if (err instanceof ExpressionRuntimeError) throw err;
    throw new ExpressionRuntimeError(`stringToJson(): not valid JSON: ${(err as Error).message}`);
  }
}

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' };

export const BUILTINS: Record<string, Builtin> = {
  arrayContains: { min: 2, max: 2, fn: ([a, v]) => needArray('arrayContains', a).some((x) => deepEqual(x, v)) },
  arrayUnique: {
    min: 1,
    max: 1,
    fn: ([a]) => needArray('arrayUnique', a).filter((x, i, all) => all.findIndex((y) => deepEqual(x, y)) === i),
  },
  format: {
    min: 1,
    max: Infinity,
    fn: ([template, ...values]) => {
      let i = 0;
      return needString('format', template).replace(/\{\}/g, () => (i < values.length ? text(values[i++]) : '{}'));
    },
  },
  fromBase64: { min: 1, max: 1, fn: ([s]) => Buffer.from(needString('fromBase64', s), 'base64').toString('utf8') },
  stringToJson: { min: 1, max: 1, fn: ([s]) => parseJson(s) },
  fromJSON: { min: 1, max: 1, fn: ([s]) => parseJson(s) },
  hash: {
    min: 2,
    max: 2,
    fn: ([s, algorithm]) => {
      const name = HASHES[needString('hash', algorithm)];
      if (!name) throw new ExpressionRuntimeError(`hash(): algorithm must be one of ${Object.keys(HASHES).join(', ')}`);
      return createHash(name).update(needString('hash', s)).digest('hex');
    },
  },
  jsonMerge: { min: 2, max: 2, fn: ([a, b]) => ({ ...needMap('jsonMerge', a), ...needMap('jsonMerge', b) }) },
  length: {
    min: 1,
    max: 1,
    fn: ([v]) => {
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (isMap(v)) return Object.keys(v).length;
      throw new ExpressionRuntimeError(`length() needs a string, array or map, got ${describe(v)}`);
    },
  },
  mapKeys: { min: 1, max: 1, fn: ([m]) => Object.keys(needMap('mapKeys', m)) },
  mapValues: { min: 1, max: 1, fn: ([m]) => Object.values(needMap('mapValues', m)) },
  split: { min: 2, max: 2, fn: ([s, sep]) => needString('split', s).split(needString('split', sep)) },
  toArray: { min: 0, max: Infinity, fn: (args) => args },
  get: { min: 2, max: 2, fn: ([container, key]) => indexInto(container, key) },
  intAdd: {
    min: 2,
    max: 2,
    fn: ([a, b]) => {
      if (!Number.isInteger(a) || !Number.isInteger(b)) throw new ExpressionRuntimeError(`intAdd() needs two integers, got ${describe(a)} and ${describe(b)}`);
      return (a as number) + (b as number);
    },
  },
  uuid: {
    min: 0,
    max: 0,
    fn: (_args, scope) => {
      if (!scope.uuid) throw new ExpressionRuntimeError('uuid() is not available here');
      return scope.uuid();
    },
  },
};
