import { evaluate, parseExpression, variablesOf, type Ast, type EvalScope, type Variable } from './expression';

/**
 * Constructors (`InputConstructor`, `OutputConstructor`, a Catch's `OutputConstructor`) and a Task's
 * `Parameters` are JSON templates: a key ending in `.$` holds an expression and gives its value under the
 * key without the suffix; every other value is taken as written, maps and lists searched for more `.$`
 * keys at any depth (CloudFlow docs, input-and-output: "如果键以.$结尾，则值必须是表达式").
 * Templates are compiled when the flow loads so a bad expression is refused with its path.
 */
export type Template =
  | { k: 'expr'; ast: Ast; source: string }
  | { k: 'map'; entries: [string, Template][] }
  | { k: 'list'; items: Template[] }
  | { k: 'value'; value: unknown };

export class TemplateError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'TemplateError';
  }
}

/** Compile a template; `path` names it in errors (e.g. `OutputConstructor`). */
export function compileTemplate(value: unknown, path: string): Template {
  if (Array.isArray(value)) return { k: 'list', items: value.map((item, i) => compileTemplate(item, `${path}[${i}]`)) };
  if (value === null || typeof value !== 'object') return { k: 'value', value };
  const entries: [string, Template][] = [];
  const seen = new Set<string>();
  for (const [key, item] of Object.entries(value)) {
    const isExpr = key.endsWith('.$');
    const name = isExpr ? key.slice(0, -2) : key;
    if (seen.has(name)) throw new TemplateError(`${path}.${key}`, `"${name}" is given twice (with and without .$)`);
    seen.add(name);
    if (!isExpr) {
      entries.push([name, compileTemplate(item, `${path}.${key}`)]);
      continue;
    }
    if (typeof item !== 'string') throw new TemplateError(`${path}.${key}`, 'a key ending in .$ must hold an expression (a string)');
    entries.push([name, compileExpression(item, `${path}.${key}`)]);
  }
  return { k: 'map', entries };
}

export function compileExpression(source: string, path: string): Template & { k: 'expr' } {
  try {
    return { k: 'expr', ast: parseExpression(source.trim()), source };
  } catch (err) {
    throw new TemplateError(path, (err as Error).message);
  }
}

export function renderTemplate(template: Template, scope: EvalScope): unknown {
  switch (template.k) {
    case 'expr':
      return evaluate(template.ast, scope);
    case 'value':
      return template.value;
    case 'list':
      return template.items.map((item) => renderTemplate(item, scope));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of template.entries) out[key] = renderTemplate(item, scope);
      return out;
    }
  }
}

/** Every system variable a template reads (to refuse `$Output` where it does not exist). */
export function templateVariables(template: Template, out = new Set<Variable>()): Set<Variable> {
  if (template.k === 'expr') variablesOf(template.ast, out);
  else if (template.k === 'list') template.items.forEach((item) => templateVariables(item, out));
  else if (template.k === 'map') template.entries.forEach(([, item]) => templateVariables(item, out));
  return out;
}
