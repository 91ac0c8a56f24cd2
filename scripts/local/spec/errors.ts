/**
 * s.yaml problems the local cloud refuses to start with. Every message names the key path
 * (`resources.product-bff.props.nasConfig`) and, where one exists, a hint.
 */
export class SpecError extends Error {
  constructor(
    readonly keyPath: string,
    readonly problem: string,
    readonly hint?: string,
  ) {
    super(`s.yaml ${keyPath}: ${problem}${hint ? `\n  hint: ${hint}` : ''}`);
    this.name = 'SpecError';
  }
}

/** Several problems reported at once, so a user fixes them in one pass. */
export class SpecErrors extends Error {
  constructor(readonly errors: SpecError[]) {
    super(`the local cloud cannot run this s.yaml:\n${errors.map((e) => `- ${e.message}`).join('\n')}`);
    this.name = 'SpecErrors';
  }
}
