/**
 * s.yaml problems the local cloud refuses to start with. Every message names the key path
 * (`resources.product-bff.props.nasConfig`) and, where one exists, a hint.
 */
export class SpecError extends Error {
  constructor(
    readonly keyPath: string,
    readonly problem: string,
    readonly hint?: string,
    /** The file the problem is in, when not s.yaml itself (a ROS template or a flow with a YAML syntax error). */
    readonly file = 's.yaml',
  ) {
    super(`${file}${keyPath ? ` ${keyPath}` : ''}: ${problem}${hint ? `\n  hint: ${hint}` : ''}`);
    this.name = 'SpecError';
  }

  /** The line of the file the key is on, when known (`locateProblems`). */
  line?: number;

  /** The message with the line, as `s.yaml:105 resources.…`: what the user reads. */
  located(): string {
    return this.line === undefined ? this.message : this.message.replace(this.file, `${this.file}:${this.line}`);
  }

  /** The same problem in a file shown under another name (a user's own template, `npm start -- -t`, D154). */
  in(file: string): SpecError {
    const moved = new SpecError(this.keyPath, this.problem, this.hint, file);
    if (this.line !== undefined) moved.line = this.line;
    return moved;
  }
}

/** Several problems reported at once, so a user fixes them in one pass. */
export class SpecErrors extends Error {
  /** `shownAs`: the template's name when it is not this repository's s.yaml. */
  constructor(
    readonly errors: SpecError[],
    shownAs = 's.yaml',
  ) {
    super(`the local cloud cannot run ${shownAs === 's.yaml' ? 'this s.yaml' : shownAs}:\n${errors.map((e) => `- ${e.located()}`).join('\n')}`);
    this.name = 'SpecErrors';
  }
}
