/**
 * A small ordered XML tree. CloudFront configs must come back exactly as the client sent them, including fields
 * this emulator knows nothing about, so they are stored as a generic tree instead of typed objects.
 */
import { XMLParser } from 'fast-xml-parser';

/** One element: a leaf carries `text` (possibly ''), a container carries `children` in document order. */
export interface XmlElement {
  name: string;
  text?: string;
  children: XmlElement[];
}

type OrderedNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  // Keep every value a string: "0015" or "true" must round-trip byte for byte.
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Thrown when a request body is not well-formed XML. */
export class MalformedXmlError extends Error {}

function fromOrdered(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
  if (!name) return undefined;
  const raw = node[name] as OrderedNode[];
  const elements = raw.map(fromOrdered).filter((e): e is XmlElement => e !== undefined);
  if (elements.length > 0) return { name, children: elements };
  const text = raw.map((n) => (typeof n['#text'] === 'string' ? n['#text'] : '')).join('');
  return { name, text, children: [] };
}

/** Parses a document and returns its root element. */
export function parseXml(body: string): XmlElement {
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(body, true) as OrderedNode[];
  } catch (e) {
    throw new MalformedXmlError(e instanceof Error ? e.message : String(e));
  }
  const root = nodes.map(fromOrdered).find((e): e is XmlElement => e !== undefined);
  if (!root) throw new MalformedXmlError('the request body has no root element');
  return root;
}

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Serializes an element (no declaration); `xmlns` goes on this element only. */
export function toXml(el: XmlElement, xmlns?: string): string {
  const open = xmlns ? `<${el.name} xmlns="${xmlns}">` : `<${el.name}>`;
  const inner = el.children.length > 0 ? el.children.map((c) => toXml(c)).join('') : escapeText(el.text ?? '');
  return `${open}${inner}</${el.name}>`;
}

/** A whole response document. */
export function xmlDocument(el: XmlElement, xmlns?: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${toXml(el, xmlns)}`;
}

/** A leaf element. */
export const leaf = (name: string, text: string): XmlElement => ({ name, text, children: [] });

/** A container element. */
export const node = (name: string, children: XmlElement[]): XmlElement => ({ name, children });

export const child = (el: XmlElement | undefined, name: string): XmlElement | undefined =>
  el?.children.find((c) => c.name === name);

/** Text at a path of child names, e.g. `textAt(config, 'DefaultCacheBehavior', 'TargetOriginId')`. */
export function textAt(el: XmlElement | undefined, ...path: string[]): string | undefined {
  let cur = el;
  for (const p of path) cur = child(cur, p);
  return cur && cur.children.length === 0 ? (cur.text ?? '') : undefined;
}

export const clone = (el: XmlElement): XmlElement => structuredClone(el);

/** Sets (or appends) a leaf child's text. */
export function setText(el: XmlElement, name: string, text: string): void {
  const existing = child(el, name);
  if (existing) {
    existing.text = text;
    existing.children = [];
  } else el.children.push(leaf(name, text));
}

export function removeChild(el: XmlElement, name: string): void {
  el.children = el.children.filter((c) => c.name !== name);
}

/** True when both trees serialize identically (order and text included). */
export const sameXml = (a: XmlElement | undefined, b: XmlElement | undefined): boolean =>
  (a ? toXml(a) : undefined) === (b ? toXml(b) : undefined);

/**
 * Every `Quantity` that disagrees with its sibling `Items` count, as paths ("Origins", "Aliases").
 * CloudFront checks this everywhere in a config and answers InconsistentQuantities.
 */
export function inconsistentQuantities(el: XmlElement, path = el.name): string[] {
  const found: string[] = [];
  const quantity = child(el, 'Quantity');
  if (quantity) {
    const items = child(el, 'Items');
    const count = items ? items.children.length : 0;
    if (Number(quantity.text) !== count) found.push(path);
  }
  for (const c of el.children) if (c.children.length > 0) found.push(...inconsistentQuantities(c, `${path}.${c.name}`));
  return found;
}
