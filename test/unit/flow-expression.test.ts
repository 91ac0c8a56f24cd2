import { evaluate, ExpressionRuntimeError, ExpressionSyntaxError, parseExpression, variablesOf } from '../../scripts/local/flow-engine/expression';
import { compileTemplate, renderTemplate, TemplateError } from '../../scripts/local/flow-engine/template';

/**
 * CloudFlow's expression language and constructor templates: the condition grammar of the Choice docs,
 * the `.$` rule of constructors, map/array literals as published flows use them, built-in functions.
 */
const input = { status: 'ready', amount: 120, currency: 'CNY', tags: ['a', 'b'], order: { id: 'o-1', lines: [{ sku: 'x', qty: 2 }] }, 'order-id': 'o-2', flag: true };
const ctx = { Execution: { Name: 'e-1', Input: { orderId: 'o-1' } }, Current: { Name: 'S', RetryCount: 2, TaskToken: 'tok' } };
const run = (source: string, scope: Record<string, unknown> = {}) => evaluate(parseExpression(source), { Input: input, Context: ctx, ...scope });

describe('flow expressions', () => {
  it.each([
    ['$Input.status == "ready"', true],
    ['$Input.amount > 100 && $Input.currency == "CNY"', true],
    ['$Input.amount >= 120 and $Input.amount <= 120', true],
    ['$Input.amount < 100 || $Input.status != `ready`', false],
    ["!($Input.status == 'done')", true],
    ['not $Input.flag', false],
    ['"a" in $Input.tags', true],
    ['"c" not in $Input.tags', true],
    ['"order" in $Input', true],
    ['-$Input.amount + 20 == -100', true],
    ['$Input.amount * 2 / 4 % 7', 4],
    ['"ab" + "cd"', 'abcd'],
    ['$Input.order.lines[0].qty', 2],
    ['$Input.tags[-1]', 'b'],
    ['$Input["order-id"]', 'o-2'],
    ['$Input.missing.deeper', null],
    ['$Input.missing == null', true],
    ['$Input.missing == nil', true],
    ['$Context.Execution.Input.orderId', 'o-1'],
    ['$Context.Current.RetryCount', 2],
    ['12.5 > 12', true],
    ['"b" > "a"', true],
  ])('%s → %j', (source, expected) => {
    expect(run(source)).toEqual(expected);
  });

  it('builds maps and arrays, the way published flows write request bodies', () => {
    expect(run('{ "action": "insert", "body": $Input.order, n: 1 }')).toEqual({ action: 'insert', body: input.order, n: 1 });
    expect(run('[$Input.status, 2, [true]]')).toEqual(['ready', 2, [true]]);
    expect(run('{}')).toEqual({});
    expect(run(`{
      "input": { "source_sentence": [$Input.status] }
    }`)).toEqual({ input: { source_sentence: ['ready'] } });
  });

  it('has the documented built-in functions', () => {
    expect(run('arrayContains(["Tom", 10], 10)')).toBe(true);
    expect(run('arrayUnique([1, 2, 3, 1])')).toEqual([1, 2, 3]);
    expect(run('format("hello {} and {}", "world", 2)')).toBe('hello world and 2');
    expect(run('fromBase64("Rm5G")')).toBe('FnF');
    expect(run(`stringToJson('{"name": "Tom", "age": 10}')`)).toEqual({ name: 'Tom', age: 10 });
    expect(run(`fromJSON('[1]')`)).toEqual([1]);
    expect(run('hash("abc", "MD5")')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(run('jsonMerge({"name": "Tom", "age": 10}, {"name": "Tom", "address": "beijing"})')).toEqual({ name: 'Tom', age: 10, address: 'beijing' });
    expect([run('length([1, 2, 3])'), run('length({"a": 1})'), run('length("name")')]).toEqual([3, 1, 4]);
    expect(run('mapKeys({"a": 1, "b": 2})')).toEqual(['a', 'b']);
    expect(run('mapValues({"a": 1, "b": 2})')).toEqual([1, 2]);
    expect(run('split("a,b", ",")')).toEqual(['a', 'b']);
    expect(run('toArray(1, "x")')).toEqual([1, 'x']);
    expect(run('get($Input.tags, 1)')).toBe('b');
    expect(run('intAdd(2, 3)')).toBe(5);
    expect(run('uuid()', { uuid: () => 'fixed' })).toBe('fixed');
  });

  it('refuses malformed expressions and unknown names when parsing, with the position', () => {
    for (const [source, problem] of [
      ['$Input.status ==', 'unexpected end of expression'],
      ['$Input.a b', 'unexpected text after the expression'],
      ['status == "ready"', 'unknown name "status"'],
      ['$Global.x', '$Global (global variables) is not supported'],
      ['$Foo', 'unknown variable $Foo'],
      ['nosuch(1)', 'unknown built-in function nosuch()'],
      ['hash("a")', 'hash() takes 2 arguments, got 1'],
      ['"open', 'unterminated string'],
      ['$Input.a ? 1 : 2', 'unexpected character "?"'],
    ] as const) {
      expect(() => parseExpression(source)).toThrow(ExpressionSyntaxError);
      expect(() => parseExpression(source)).toThrow(problem);
    }
  });

  it('fails at run time on operators over the wrong types, naming them', () => {
    expect(() => run('$Input.missing > 1')).toThrow(new ExpressionRuntimeError('">" compares two numbers or two strings, got null and number'));
    expect(() => run('$Input.status && true')).toThrow(ExpressionRuntimeError);
    expect(() => run('1 in 2')).toThrow('"in" needs an array');
    expect(() => run('stringToJson("{nope")')).toThrow('stringToJson(): not valid JSON');
    expect(() => run('1 / 0')).toThrow('division by zero');
  });

  it('reports which system variables an expression reads', () => {
    expect([...variablesOf(parseExpression('$Input.a == $Context.Current.Name && length($Output.Body) > 0'))].sort()).toEqual(['Context', 'Input', 'Output']);
  });
});

describe('constructor templates', () => {
  it('evaluate keys ending in .$ at any depth and keep every other value as written', () => {
    const template = compileTemplate(
      {
        'orderId.$': '$Input.order.id',
        fixed: 'literal $Input.not-evaluated',
        nested: { 'token.$': '$Context.Current.TaskToken', list: [{ 'n.$': '1 + 1' }, 3] },
      },
      'OutputConstructor',
    );
    expect(renderTemplate(template, { Input: input, Context: ctx })).toEqual({
      orderId: 'o-1',
      fixed: 'literal $Input.not-evaluated',
      nested: { token: 'tok', list: [{ n: 2 }, 3] },
    });
  });

  it('refuse a .$ key without an expression and a key given twice, naming the path', () => {
    expect(() => compileTemplate({ a: { 'b.$': 3 } }, 'InputConstructor')).toThrow(new TemplateError('InputConstructor.a.b.$', 'a key ending in .$ must hold an expression (a string)'));
    expect(() => compileTemplate({ x: 1, 'x.$': '$Input' }, 'OutputConstructor')).toThrow('"x" is given twice');
    expect(() => compileTemplate({ 'x.$': '$Input ==' }, 'OutputConstructor')).toThrow('OutputConstructor.x.$: unexpected end of expression');
  });
});
