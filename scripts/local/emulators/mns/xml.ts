/**
 * XML in and out of the MNS emulator. Responses are small fixed shapes built by hand (root element in MNS's
 * namespace, children in the order MNS documents them); request bodies are parsed with fast-xml-parser,
 * keeping text verbatim (a message body must come back byte for byte, spaces included).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mnsErrors } from './errors';
import { XML_DECLARATION, renderNodes, type XmlNode } from '../xml-nodes';

export const MNS_NAMESPACE = 'http://mns.aliyuncs.com/doc/v1/';

export type { XmlNode, XmlValue } from '../xml-nodes';
export { escapeXml } from '../xml-nodes';

/** @example renderXml('Message', [['MessageId', 'A1']]) → `<?xml …?><Message xmlns="…"><MessageId>A1</MessageId></Message>` */
export function renderXml(root: string, children: XmlNode[]): string {
  return `${XML_DECLARATION}<${root} xmlns="${MNS_NAMESPACE}">${renderNodes(children)}</${root}>`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (_name, jpath) => jpath === 'Messages.Message' || jpath === 'ReceiptHandles.ReceiptHandle',
});

export type XmlElement = Record<string, unknown>;

/**
 * Parses a request body whose root must be `root`; an empty body is an empty element. Anything that is not
 * well-formed XML with that root is MalformedXML.
 */
export function parseXmlBody(text: string, root: string): XmlElement {
  if (text.trim() === '') return {};
  const notXml = notXml10(text);
  if (notXml) throw mnsErrors.malformedXml(notXml);
  if (XMLValidator.validate(text) !== true) throw mnsErrors.malformedXml();
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch {
    throw mnsErrors.malformedXml();
  }
  if (!isRecord(doc)) throw mnsErrors.malformedXml();
  const body = doc[root];
  const roots = Object.keys(doc).filter((k) => k !== '?xml');
  if (roots.length !== 1 || roots[0] !== root) throw mnsErrors.malformedXml(`the root element must be <${root}>, got <${roots.join('>, <')}>`);
  if (body === '' || body === undefined) return {};
  if (!isRecord(body)) throw mnsErrors.malformedXml(`<${root}> must contain elements`);
  return body;
}

/** A character XML 1.0's `Char` production leaves out: C0 controls but tab, LF and CR; lone surrogates; U+FFFE, U+FFFF. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/** An entity or character reference. */
const REFERENCE = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([A-Za-z_:][\w.:-]*));/g;
const PREDEFINED_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

/**
 * Why `text` is not XML 1.0 as MNS's parser reads it, or undefined. fast-xml-parser takes more: HTML entities
 * (`&nbsp;`, which `htmlEntities` decodes for the numeric references), names no DTD declares, control characters.
 * `@alicloud/mns` writes a message body into the XML unescaped, so such a body reaches MNS, which refuses it.
 */
function notXml10(text: string): string | undefined {
  const raw = NOT_XML_CHAR.exec(text);
  if (raw) return `character U+${raw[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`;
  for (const [reference, hex, decimal, name] of text.matchAll(REFERENCE)) {
    if (name !== undefined) {
      if (!PREDEFINED_ENTITIES.has(name)) return `the entity ${reference} is not declared (XML predefines &amp; &lt; &gt; &quot; &apos;)`;
      continue;
    }
    const codePoint = hex !== undefined ? parseInt(hex, 16) : Number(decimal);
    if (codePoint > 0x10ffff || NOT_XML_CHAR.test(String.fromCodePoint(codePoint))) return `the character reference ${reference} is not an XML character`;
  }
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of a leaf element (`<a/>` and `<a></a>` are ''), or undefined when absent; a nested element is MalformedXML. */
export function textOf(element: XmlElement, name: string): string | undefined {
  const value = element[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (isRecord(value) && Object.keys(value).length === 0) return '';
  throw mnsErrors.malformedXml(`<${name}> must be a text element`);
}

/** Refuses elements outside `allowed`, naming the first one (MNS: InvalidArgument … cause by X Element). */
export function onlyElements(element: XmlElement, allowed: readonly string[], notEmulated: Record<string, string> = {}): void {
  for (const name of Object.keys(element)) {
    if (notEmulated[name]) throw mnsErrors.notImplemented(notEmulated[name]!);
    if (!allowed.includes(name)) throw mnsErrors.unknownElement(name);
  }
}

/**
 * An integer element in `[low, high]`, or `fallback` when absent. MNS answers InvalidArgument naming the
 * element for anything else.
 */
export function intOf(element: XmlElement, name: string, low: number, high: number, fallback: number, unit = 'seconds'): number {
  const text = textOf(element, name);
  if (text === undefined) return fallback;
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) throw mnsErrors.invalidArgument(`The value of ${name} must be an integer, got "${text}".`);
  const value = Number(trimmed);
  if (value < low || value > high) throw mnsErrors.outOfRange(name, low, high, unit);
  return value;
}

export function boolOf(element: XmlElement, name: string, fallback: boolean): boolean {
  const text = textOf(element, name);
  if (text === undefined) return fallback;
  const t = text.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw mnsErrors.invalidArgument(`The value of ${name} must be true or false, got "${text}".`);
}
