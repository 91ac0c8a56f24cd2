/**
 * Response XML for the emulators that answer in XML (OSS, MNS): documents are small fixed shapes, so they are
 * built by hand from name/value pairs — element order and names are what the SDKs read. Each emulator adds its
 * own root element (namespace, attributes) around `renderNodes`.
 */

/** A node of a response document: text, a nested element list, or absent (skipped). */
export type XmlValue = string | number | boolean | XmlNode[] | undefined;
export type XmlNode = [name: string, value: XmlValue];

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** @example renderNodes([['Key', 'a&b'], ['Part', [['N', 1]]]]) → `<Key>a&amp;b</Key><Part><N>1</N></Part>` */
export function renderNodes(nodes: XmlNode[]): string {
  let out = '';
  for (const [name, value] of nodes) {
    if (value === undefined) continue;
    if (Array.isArray(value)) out += `<${name}>${renderNodes(value)}</${name}>`;
    else out += `<${name}>${escapeXml(String(value))}</${name}>`;
  }
  return out;
}
