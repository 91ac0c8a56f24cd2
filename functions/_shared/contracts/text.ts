/**
 * Free text a person types (a device name, a photo title, an address line): stored as sent, shown to others later.
 * Refused in it: control characters (C0, DEL and C1: a NUL, a newline in a one-line field) and the bidirectional
 * embeddings, overrides and isolates, which make text show in another order than it is stored (a name that reads
 * "pump" but sorts and matches as something else). Other format characters stay: emoji sequences need the zero
 * width joiner (D127).
 */
const HIDDEN = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

export const isPlainText = (text: string): boolean => !HIDDEN.test(text);
export const PLAIN_TEXT_MESSAGE = 'must not contain control characters or text-direction overrides';
