import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes `file` through a temp name and a rename, so a reader sees the whole old file or the whole new one,
 * never half of it: parallel test files and a start beside another start read these files (bundles, caches,
 * stamps) while one of them writes. Only `node:fs`: the launcher loads it before anything else.
 */
export function writeFileAtomically(file: string, contents: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, file);
}
