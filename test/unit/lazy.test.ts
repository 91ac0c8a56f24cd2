import { lazily } from '#shared/lazy';

describe('lazily', () => {
  it('builds a property on first access, once, and never builds the ones not used', () => {
    const built: string[] = [];
    const deps = lazily<{ table: { name: string }; objects: { name: string } }>({
      table: () => (built.push('table'), { name: 't' }),
      objects: () => (built.push('objects'), { name: 'o' }),
    });
    expect(built).toEqual([]);
    expect(deps.table.name).toBe('t');
    expect(deps.table).toBe(deps.table);
    expect(built).toEqual(['table']);
    expect(Object.keys(deps)).toEqual(['table', 'objects']);
  });

  it('lets a failing factory fail on each access (nothing half-built is kept)', () => {
    let calls = 0;
    const deps = lazily<{ store: string }>({
      store: () => {
        calls++;
        throw new Error('bucket name is not set');
      },
    });
    expect(() => deps.store).toThrow('bucket name is not set');
    expect(() => deps.store).toThrow('bucket name is not set');
    expect(calls).toBe(2);
  });
});
