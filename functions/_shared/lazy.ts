/**
 * An object whose properties are built on first access and then kept: the dependencies of a handler whose
 * routes need different clients (a status read needs the table, a thumbnail redirect OSS, a search the
 * index) build only what the request uses.
 * @example const deps = lazily({ table: () => tableFor(fc), objects: () => objectStoreFor(fc, bucket) });
 */
export function lazily<T extends object>(factories: { [K in keyof T]: () => T[K] }): T {
  const target = {} as T;
  for (const key of Object.keys(factories) as (keyof T)[]) {
    Object.defineProperty(target, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = factories[key]();
        Object.defineProperty(target, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return target;
}
