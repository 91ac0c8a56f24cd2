import { createLogPrinter } from '../../scripts/local/terminal';

/** `npm start`'s log printer: what a newcomer reads on the first screen. */
describe('the npm start log printer', () => {
  const DEP = '(node:4242) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues.';
  const HINT = '(Use `node --trace-deprecation ...` to show where the warning was created)';

  it('prints a Node runtime warning once, not once per function instance', () => {
    const print = createLogPrinter();
    const first = print('product-info', `${DEP}\n${HINT}\n`);
    expect(first).toContain('[DEP0005]');
    expect(first).toContain('--trace-deprecation');
    // Every new instance of every function starts by printing the same two lines.
    for (const fn of ['product-price', 'product-info', 'iot-devices']) {
      expect(print(fn, `${DEP}\n`)).toBe('');
      expect(print(fn, `${HINT}\n`)).toBe('');
    }
  });

  it('still prints a different warning, and every ordinary log line', () => {
    const print = createLogPrinter();
    print('a', `${DEP}\n${HINT}\n`);
    expect(print('b', '(node:1) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.\n')).toContain('[DEP0040]');
    expect(print('b', '{"level":"info","msg":"hello"}\n')).toMatch(/^b\s+info\s+hello\n$/);
    expect(print('b', '{"level":"info","msg":"hello"}\n')).toMatch(/^b\s+info\s+hello\n$/);
  });
});
