/**
 * The command lines of the npm scripts that take few or no arguments (`npm run validate`, `build`, `bench`, `npm
 * start`): an argument a script does not know is refused by name, exit 2, before anything runs (D149). Ignored, a
 * mistyped `--deploy` or a flag meant for another script looked like it had been obeyed.
 */

/** The first argument of `argv` that is not one of `known`, or undefined when all are known. */
export function firstUnknownArgument(argv: readonly string[], known: readonly string[]): string | undefined {
  return argv.find((arg) => !known.includes(arg));
}

/** Ends the process with `message` and `usage` on stderr, exit 2 (a usage mistake, as `npm run invoke` ends). */
export function refuseUsage(message: string, usage: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

/**
 * For a script whose only arguments are the flags `known` (and `--help`): prints `usage` and ends on `--help`,
 * refuses an unknown argument by name; otherwise returns the flags given.
 */
export function flagsOrUsage(argv: readonly string[], known: readonly string[], usage: string): Set<string> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const unknown = firstUnknownArgument(argv, known);
  if (unknown !== undefined) refuseUsage(`unknown argument ${unknown}`, usage);
  return new Set(argv);
}
