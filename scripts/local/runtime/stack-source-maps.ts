import { readFileSync } from 'node:fs';
import Module, { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';

/**
 * Stack traces of a function's bundle point at its sources (`functions/<name>/handler.ts:7:11`), as on FC,
 * where the bundle's `process.setSourceMapsEnabled(true)` banner does it. Locally the bundle is compiled by
 * `bundle-loader.ts` (a `vm.Script`, for the code cache), which Node's source-map support never sees, so its
 * frames read `index.js:7:26349` — a column in a minified line. This maps them with the `index.js.map` beside
 * the bundle (read when a stack first needs it; without one, frames stay as they are). Installed once
 * per instance thread; the text is V8's own (`Name: message` then `    at …` lines), only the locations change.
 */
export function mapBundleStackTraces(bundleFile: string): void {
  // A start-up build writes the maps after the first page (D73): an instance may start before its map exists.
  let map: SourceMap | undefined;
  let missingSince = -Infinity;
  const sourceMap = () => {
    if (!map && Date.now() - missingSince > 1000) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
      } catch {
        missingSince = Date.now();
      }
    }
    return map;
  };
  // bundle-loader compiles `Module.wrap(source)`: columns of the bundle's first line carry the wrapper's prefix.
  const firstLineShift = (Module as unknown as { wrapper: string[] }).wrapper[0]!.length;

  const locate = (frame: NodeJS.CallSite): string => {
    const text = frame.toString();
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    const found = frame.getFileName() === bundleFile && line !== null && column !== null ? sourceMap() : undefined;
    if (!found || line === null || column === null) return text;
    const entry = found.findEntry(line - 1, (line === 1 ? column - firstLineShift : column) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return text;
    const mapped = `${resolve(dirname(bundleFile), entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    return text.replace(`${bundleFile}:${line}:${column}`, mapped);
  };

  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    let header: string;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = 'Error';
    }
    return header + frames.map((frame) => `\n    at ${locate(frame)}`).join('');
  };
}
