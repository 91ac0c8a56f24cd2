/**
 * XML in and out. Responses are built by hand (the shapes are small and fixed, and ali-oss parses them with
 * xml2js `explicitArray: false`, so element order and names are all that matter). Request bodies
 * (DeleteMultipleObjects, CompleteMultipartUpload) are parsed with fast-xml-parser, keeping text verbatim:
 * object keys such as `" 007"` must not be trimmed or turned into numbers.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ossErrors } from './errors';
import { XML_DECLARATION, escapeXml, renderNodes, type XmlNode } from '../xml-nodes';

export type { XmlNode, XmlValue } from '../xml-nodes';
export { escapeXml } from '../xml-nodes';

/**
 * @example renderXml('Error', [['Code', 'NoSuchKey'], ['Message', '…']])
 * // '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>…</Message></Error>'
 */
export function renderXml(root: string, children: XmlNode[] | string): string {
  const inner = typeof children === 'string' ? escapeXml(children) : renderNodes(children);
  // A root may carry attributes (`LocationConstraint xmlns="…"`); the closing tag is its name alone.
  return `${XML_DECLARATION}<${root}>${inner}</${root.split(' ', 1)[0]}>`;
}

// htmlEntities: numeric character references must be decoded (ali-oss `deleteMulti` escapes `'` as `&#39;`), in
// the same pass as `&amp;` so that `&amp;#39;` stays the literal text `&#39;`.
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => name === 'Object' || name === 'Part',
});

const listParsers = new Map<string, XMLParser>();

/** A parser that always turns the named elements into arrays (configuration documents repeat them). */
function parserFor(lists: readonly string[]): XMLParser {
  if (lists.length === 0) return parser;
  const id = lists.join(',');
  let found = listParsers.get(id);
  if (!found) {
    const names = new Set(lists);
    found = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: true, isArray: (name) => names.has(name) });
    listParsers.set(id, found);
  }
  return found;
}

/**
 * Parses a request body; anything that is not well-formed XML with the expected root is MalformedXML.
 * `lists` names elements that may repeat (always returned as arrays); by default `Object` and `Part`.
 */
export function parseXmlBody(text: string, root: string, lists?: readonly string[]): Record<string, unknown> {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw ossErrors.malformedXml();
  let doc: unknown;
  try {
    doc = (lists ? parserFor(lists) : parser).parse(text);
  } catch {
    throw ossErrors.malformedXml();
  }
  const body = isRecord(doc) ? doc[root] : undefined;
  if (body === '') return {};
  if (!isRecord(body)) throw ossErrors.malformedXml();
  return body;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text content of a leaf element, or undefined when absent or not a leaf. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value) && Object.keys(value).length === 0) return '';
  return undefined;
}
