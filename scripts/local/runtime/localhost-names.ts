import dns from 'node:dns';

/**
 * `<name>.localhost` resolves to this machine, as RFC 6761 §6.3 asks of resolvers and as browsers and curl do.
 * glibc's resolver does not (without nss-myhostname), so Node answers ENOTFOUND — and an `ali-oss` client
 * with its default (virtual-host) addressing pointed at `OSS_ENDPOINT` (`http://localhost:<port>`) asks for
 * `<bucket>.localhost` and fails before the request leaves the function. Installed in each instance's thread
 * (its own copy of `node:dns`), so a function's own OSS code runs locally with the options it deploys with;
 * `net`, `http` and `fetch` all look names up through `dns.lookup`. Every other name is looked up as before.
 */
export function resolveLocalhostNames(): void {
  const asLocalhost = (hostname: unknown) => (typeof hostname === 'string' && /\.localhost\.?$/i.test(hostname) ? 'localhost' : hostname);
  const lookup = dns.lookup;
  const patched = function (this: unknown, hostname: string, ...rest: unknown[]) {
    return (lookup as (...args: unknown[]) => unknown).call(this, asLocalhost(hostname), ...rest);
  };
  // Keep what util.promisify reads off the original (its custom-promisify symbols are not enumerable).
  for (const key of Reflect.ownKeys(lookup)) if (!(key in patched)) Object.defineProperty(patched, key, Object.getOwnPropertyDescriptor(lookup, key)!);
  dns.lookup = patched as typeof dns.lookup;
  const promises = dns.promises.lookup;
  dns.promises.lookup = ((hostname: string, ...rest: unknown[]) => (promises as (...args: unknown[]) => unknown)(asLocalhost(hostname), ...rest)) as typeof dns.promises.lookup;
}
