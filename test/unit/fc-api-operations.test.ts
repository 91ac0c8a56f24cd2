import { readFileSync } from 'node:fs';
import { EMULATED_OPERATIONS, fcOperationOf } from '../../scripts/local/emulators/fc/fc-api';

/**
 * Every FC 3.0 API operation the installed `@alicloud/fc20230330` can call is either emulated (InvokeFunction,
 * GetFunction, ListFunctions, the reads of fc-resources.ts) or refused naming it — never "no FC 3.0 API operation has this method and path",
 * which PutProvisionConfig, TagResources and most others got. The operations are read from the SDK's client.
 */
const EMULATED = new Set(EMULATED_OPERATIONS);

function sdkOperations(): { action: string; method: string; path: string }[] {
  const source = readFileSync(require.resolve('@alicloud/fc20230330/dist/client.js'), 'utf8');
  const found = [...source.matchAll(/action: "(\w+)",[\s\S]*?pathname: `([^`]+)`,\s*method: "(\w+)"/g)];
  return found.map(([, action, path, method]) => ({ action: action!, method: method!, path: path!.replace(/\$\{[^}]+\}/g, 'x') }));
}

describe('the FC API emulator knows every operation of the FC 3.0 SDK', () => {
  const operations = sdkOperations();

  it('reads the SDK’s operations', () => {
    expect(operations.length).toBeGreaterThan(60);
    expect(operations.map((o) => o.action)).toEqual(expect.arrayContaining([...EMULATED, 'PutProvisionConfig', 'TagResources']));
  });

  it('names each operation it does not emulate', () => {
    const unnamed = operations.filter((o) => !EMULATED.has(o.action) && fcOperationOf(o.method, o.path) !== o.action);
    expect(unnamed.map((o) => `${o.method} ${o.path} (${o.action}) → ${fcOperationOf(o.method, o.path) ?? 'unnamed'}`)).toEqual([]);
  });

  it('names none of the operations it emulates', () => {
    for (const o of operations.filter((op) => EMULATED.has(op.action))) expect(fcOperationOf(o.method, o.path)).toBeUndefined();
  });
});
