/**
 * Free text a person types (a device name, a photo title, an address line): stored as sent, shown to others later.
 * Refused in it: control characters (C0, DEL and C1: a NUL, a newline in a one-line field) and the bidirectional
 * embeddings, overrides and isolates, which make text show in another order than it is stored (a name that reads
 * "pump" but sorts and matches as something else). Other format characters stay: emoji sequences need the zero
 * width joiner (D127). And a lone surrogate (`"\ud800"` in JSON): no UTF-8 holds it, so the stores kept U+FFFD in its
 * place — the text read back was not the text accepted (D147).
 */
const HIDDEN = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
/** In a `u` regex a surrogate pair is one code point, so `\p{Cs}` matches only an unpaired half. */
const LONE_SURROGATE = /\p{Cs}/u;

export const isPlainText = (text: string): boolean => !HIDDEN.test(text) && !LONE_SURROGATE.test(text);
const PLAIN_TEXT_MESSAGE = 'must not contain control characters or text-direction overrides';
const UNPAIRED_MESSAGE = 'must be well-formed Unicode, not hold a lone surrogate (\\ud800–\\udfff escapes must come in pairs)';

/** The refusal of text `isPlainText` refuses, saying which of its two reasons applies. */
export const PLAIN_TEXT_ERROR = {
  error: (issue: { input?: unknown }) => (typeof issue.input === 'string' && LONE_SURROGATE.test(issue.input) ? UNPAIRED_MESSAGE : PLAIN_TEXT_MESSAGE),
};
