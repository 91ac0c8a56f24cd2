/**
 * The command lines of the npm scripts that take few or no arguments (`npm run validate`, `build`, `bench`, `npm
 * start`): an argument a script does not know is refused by name, exit 2, before anything runs (D149). Ignored, a
 * mistyped `--deploy` or a flag meant for another script looked like it had been obeyed.
 */
import { npmTookTheFlag, templateArgument, TemplateUsageError } from './local/template-option';

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

/**
 * For `npm run validate`, `build` and `deploy` (D160): the flags `known` and `-t/--template <file>`, taken as `npm
 * start` takes it (D154). npm keeps `-t` for itself unless it comes after `--`: the file it passes on alone (or
 * `--template=` it keeps in npm_config_template) is refused naming `command` with `--`, not taken as an unknown
 * argument or, worse, ignored so that this repository's s.yaml is checked in its place.
 * @example projectFlagsOrUsage(['-t', 'app/s.yaml', '--deploy'], ['--deploy'], usage, 'npm run validate --')
 *   // { given: 'app/s.yaml', flags: Set { '--deploy' } }
 */
export function projectFlagsOrUsage(argv: readonly string[], known: readonly string[], usage: string, command: string): { given?: string; flags: Set<string> } {
  const { given, rest } = templateOrUsage(argv, usage, command, known);
  const unknown = firstUnknownArgument(rest, known);
  if (unknown !== undefined) refuseUsage(`unknown argument ${unknown}`, usage);
  return given === undefined ? { flags: new Set(rest) } : { given, flags: new Set(rest) };
}

/**
 * `--help`, then `-t/--template <file>` taken from `argv` and the rest handed back; a `-t` npm kept for itself (no
 * `--`) is refused naming `command`, after the arguments in `known` are set aside (they are the script's own, not
 * the file npm passed on). `consequence` ends a refusal's line (deploy: nothing was built or deployed).
 */
export function templateOrUsage(argv: readonly string[], usage: string, command: string, known: readonly string[] = [], consequence = ''): { given?: string; rest: string[] } {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  let chosen: ReturnType<typeof templateArgument>;
  try {
    chosen = templateArgument(argv);
  } catch (err) {
    if (err instanceof TemplateUsageError) refuseUsage(`${err.message}${consequence}`, usage);
    throw err;
  }
  const swallowed = chosen.given === undefined ? npmTookTheFlag(chosen.rest.filter((arg) => !known.includes(arg)), process.env, command) : undefined;
  if (swallowed) refuseUsage(`${swallowed}${consequence}`, usage);
  return chosen;
}
