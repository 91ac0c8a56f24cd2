import { dataDirFrom } from './data-lock';

/**
 * `npm start`'s settings from its environment: PORT (default 9000; the services take the next four), each service's
 * own *_PORT, DATA_DIR. A value that is not a port is refused here, by name, before anything starts: passed on, node
 * threw `ERR_SOCKET_BAD_PORT` with a stack from deep inside the start script (`PORT=9000x`, `PORT=70000`, or
 * `PORT=65534`, whose MNS port would be 65537). An empty variable counts as unset, as a shell's `PORT= npm start` means.
 */
export class StartSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartSettingError';
  }
}

/** PORT and the four ports after it. */
const SERVICE_PORTS = 4;
const MAX_PORT = 65535;

export interface StartSettings {
  port: number;
  ossPort?: number;
  tablestorePort?: number;
  mnsPort?: number;
  fnfPort?: number;
  dataDir: string;
}

/**
 * @example startSettingsFrom({ PORT: '9100', DATA_DIR: '.data-alt' }) // { port: 9100, dataDir: '/repo/.data-alt' }
 */
export function startSettingsFrom(env: NodeJS.ProcessEnv): StartSettings {
  const settings: StartSettings = { port: portFrom(env, 'PORT', MAX_PORT - SERVICE_PORTS) ?? 9000, dataDir: dataDirFrom(env) };
  const own = { ossPort: 'OSS_PORT', tablestorePort: 'TABLESTORE_PORT', mnsPort: 'MNS_PORT', fnfPort: 'FNF_PORT' } as const;
  for (const [key, name] of Object.entries(own) as [keyof typeof own, string][]) {
    const port = portFrom(env, name, MAX_PORT);
    if (port !== undefined) settings[key] = port;
  }
  return settings;
}

function portFrom(env: NodeJS.ProcessEnv, name: string, max: number): number | undefined {
  const text = env[name];
  if (!text) return undefined;
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (Number.isInteger(port) && port <= max) return port;
  const range = name === 'PORT' ? `a number up to ${max} (npm start listens on PORT to PORT+${SERVICE_PORTS})` : `a number up to ${max}`;
  throw new StartSettingError(`${name}=${text} is not a port: give ${range}, e.g. ${name === 'PORT' ? 'PORT=9100 DATA_DIR=.data-alt' : `${name}=9101`} npm start${name === 'PORT' ? ' (PORT=0 picks free ports)' : ''}`);
}
