/**
 * An object's tags, however they arrive — PutObjectTagging's XML body, or `x-oss-tagging` on PutObject, AppendObject,
 * PostObject, CopyObject and InitiateMultipartUpload — held to OSS's one set of limits (PutObjectTagging's usage
 * notes): at most 10 tags, keys unique, a key of 1–128 characters and a value of at most 256, both made of letters,
 * digits, spaces and `+ - = . _ : /`. The error centre names each case of the XML body by its own EC and every case
 * of the header by one (0010-00000217); neither says the Code, which is answered as InvalidArgument (D167, D175).
 * Bucket tags have limits of their own (bucket-config.ts).
 */
import { ossErrors } from './errors';

const MAX_TAGS = 10;
const MAX_KEY = 128;
const MAX_VALUE = 256;
const ALLOWED = /^[A-Za-z0-9 +\-=._:/]*$/;

/** Where the tags came from: the EC and the argument named depend on it. */
type Source = { kind: 'xml' } | { kind: 'header'; value: string };

const XML_EC = { count: '0010-00000218', duplicate: '0010-00000210', keyLength: '0010-00000209', keyChars: '0010-00000212', valueLength: '0010-00000214', valueChars: '0010-00000216' };
const HEADER_EC = '0010-00000217';

/** The tags as a map, once every pair passes; the first limit broken is refused, naming the tag. */
function checkedTags(pairs: [string, string][], source: Source): Record<string, string> {
  const refuse = (message: string, ec: keyof typeof XML_EC, name: 'Key' | 'Value' | 'Tag', value: string) =>
    source.kind === 'xml' ? ossErrors.invalidArgument(message, name, value, XML_EC[ec]) : ossErrors.invalidArgument(message, 'x-oss-tagging', source.value, HEADER_EC);
  const tags: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (key === '') throw ossErrors.invalidArgument('A tag key must not be empty.', source.kind === 'xml' ? 'Key' : 'x-oss-tagging', source.kind === 'xml' ? '' : source.value);
    if (key.length > MAX_KEY) throw refuse(`Tag key "${key.slice(0, 16)}…" is ${key.length} characters; at most ${MAX_KEY} are allowed.`, 'keyLength', 'Key', key);
    if (!ALLOWED.test(key)) throw refuse(`Tag key "${key}" may contain only letters, digits, spaces and + - = . _ : /`, 'keyChars', 'Key', key);
    if (value.length > MAX_VALUE) throw refuse(`The value of tag "${key}" is ${value.length} characters; at most ${MAX_VALUE} are allowed.`, 'valueLength', 'Value', value);
    if (!ALLOWED.test(value)) throw refuse(`The value of tag "${key}" may contain only letters, digits, spaces and + - = . _ : /`, 'valueChars', 'Value', value);
    if (Object.hasOwn(tags, key)) throw refuse(`Tag key "${key}" is given more than once; tag keys must be unique.`, 'duplicate', 'Key', key);
    tags[key] = value;
  }
  if (pairs.length > MAX_TAGS) throw refuse(`${pairs.length} tags given; an object can have at most ${MAX_TAGS}.`, 'count', 'Tag', String(pairs.length));
  return tags;
}

/** PutObjectTagging's `<Tag>` elements, in order, as key/value pairs (the XML already parsed). */
export function objectTagsFromXml(pairs: [string, string][]): Record<string, string> {
  return checkedTags(pairs, { kind: 'xml' });
}

/** `k1=v1&k2=v2` (each part URL-encoded, as `x-oss-tagging` carries tags; `key` alone is an empty value). */
export function objectTagsFromHeader(value: string): Record<string, string> {
  const pairs: [string, string][] = [];
  for (const pair of value.split('&')) {
    if (pair === '') continue;
    // Each tag is `key` or `key=value`; a second "=" must have been URL-encoded (error centre 0010-00000219).
    if (pair.split('=').length > 2) throw ossErrors.invalidArgument('Each x-oss-tagging tag is key or key=value (URL-encode "=" inside a key or value).', 'x-oss-tagging', value, '0010-00000219');
    const eq = pair.indexOf('=');
    try {
      pairs.push([decodeURIComponent(eq >= 0 ? pair.slice(0, eq) : pair), decodeURIComponent(eq >= 0 ? pair.slice(eq + 1) : '')]);
    } catch {
      throw ossErrors.invalidArgument('x-oss-tagging is not URL-encoded correctly.', 'x-oss-tagging', value);
    }
  }
  return checkedTags(pairs, { kind: 'header', value });
}
