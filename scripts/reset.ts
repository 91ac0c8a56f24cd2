/** `npm run reset`: delete the local cloud's state (DATA_DIR, default .data). Stop `npm start` first. */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from './local/cloud';

const dir = resolve(process.env.DATA_DIR ?? resolve(REPO_ROOT, '.data'));
rmSync(dir, { recursive: true, force: true });
console.log(`removed ${dir}; the next npm start seeds the demo data again`);
