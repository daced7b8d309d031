import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { TOWN_NAMES } from '../contracts/common.ts';

/** CAP12_NAMESPACE: the XML namespace of CAP 1.2 documents. */
export const CAP12_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';

/** CapErrorCode: why a CAP document was refused before schema validation. */
export type CapErrorCode = 'PAYLOAD_TOO_LARGE' | 'XML_DOCTYPE_FORBIDDEN' | 'INVALID_XML';

/** CapResult: the weather.warning input object (not yet zod-validated), or why the XML was refused. */
export type CapResult =
  | { ok: true; warning: Record<string, unknown> }
  | { ok: false; code: CapErrorCode; path: string; message: string };

type Node = Record<string, unknown>;

// DTDs are the entity-expansion vector ("billion laughs"); CAP never needs one, so any
// declaration is refused before the parser sees the text.
const DTD_RE = /<!(?:DOCTYPE|ENTITY)/i;

const ARRAY_TAGS = new Set(['info', 'area', 'polygon', 'geocode', 'parameter']);

// One instance, reused: parse() is synchronous and keeps no state between calls.
const PARSER = new XMLParser({
  processEntities: false,
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  cdataPropName: '#cdata',
  isArray: (tagName) => ARRAY_TAGS.has(tagName),
});

const SEVERITY_LEVEL: Record<string, string> = { Minor: 'blue', Moderate: 'yellow', Severe: 'orange', Extreme: 'red' };

const COLOUR_LEVEL: Record<string, string> = {
  blue: 'blue', yellow: 'yellow', orange: 'orange', red: 'red',
  蓝色: 'blue', 黄色: 'yellow', 橙色: 'orange', 红色: 'red',
  蓝: 'blue', 黄: 'yellow', 橙: 'orange', 红: 'red',
};

const LEVEL_PARAMETERS = new Set(['level', '预警级别']);

const XML_ENTITY_RE = /&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(lt|gt|amp|quot|apos));/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** decodeXmlText resolves the five predefined XML entities and character references (processEntities is off). */
export function decodeXmlText(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(XML_ENTITY_RE, (m, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED[name] ?? m;
    const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

function fail(code: CapErrorCode, message: string, path = ''): CapResult {
  return { ok: false, code, path, message };
}

function isNode(v: unknown): v is Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** text returns an element's text (entities resolved, CDATA kept verbatim); undefined when empty or absent. */
function text(v: unknown): string | undefined {
  if (Array.isArray(v)) return text(v[0]);
  if (typeof v === 'string') return v === '' ? undefined : decodeXmlText(v);
  if (!isNode(v)) return undefined;
  const plain = typeof v['#text'] === 'string' ? decodeXmlText(v['#text']) : '';
  const cdata = v['#cdata'];
  const raw = Array.isArray(cdata) ? cdata.join('') : typeof cdata === 'string' ? cdata : '';
  const all = (plain + raw).trim();
  return all === '' ? undefined : all;
}

function nodes(v: unknown): Node[] {
  return Array.isArray(v) ? v.filter(isNode) : isNode(v) ? [v] : [];
}

function strings(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of list) {
    const s = text(item);
    if (s !== undefined) out.push(s);
  }
  return out;
}

// Matches the root start tag: name, then quoted attributes (a quoted value may contain '>').
const ROOT_TAG_RE = /<([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/y;
const ATTR_RE = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** checkRoot verifies the root element is `alert` in the CAP 1.2 namespace (removeNSPrefix drops xmlns). */
function checkRoot(xml: string): string | undefined {
  let i = 0;
  for (;;) {
    i = xml.indexOf('<', i);
    if (i === -1) return 'no root element';
    const close = xml.startsWith('<?', i) ? '?>' : xml.startsWith('<!--', i) ? '-->' : undefined;
    if (close === undefined) break;
    const end = xml.indexOf(close, i);
    if (end === -1) return 'unterminated prolog';
    i = end + close.length;
  }
  ROOT_TAG_RE.lastIndex = i;
  const m = ROOT_TAG_RE.exec(xml);
  if (!m) return 'unreadable root element';
  const name = m[1] as string;
  const colon = name.indexOf(':');
  const local = colon === -1 ? name : name.slice(colon + 1);
  if (local !== 'alert') return `root element must be <alert>, found <${name.slice(0, 50)}>`;
  const nsAttr = colon === -1 ? 'xmlns' : `xmlns:${name.slice(0, colon)}`;
  let ns: string | undefined;
  for (const a of (m[2] ?? '').matchAll(ATTR_RE)) {
    if (a[1] === nsAttr) ns = a[2] ?? a[3];
  }
  if (ns !== CAP12_NAMESPACE) {
    return `<alert> must be in namespace ${CAP12_NAMESPACE}, found ${ns === undefined ? 'none' : JSON.stringify(ns.slice(0, 100))}`;
  }
  return undefined;
}

/** referenceIds turns CAP `sender,identifier,sent` triplets (space separated) into identifiers. */
export function referenceIds(refs: string): string[] {
  const out: string[] = [];
  for (const token of refs.split(/\s+/)) {
    if (token === '') continue;
    const parts = token.split(',');
    out.push(parts.length === 3 ? (parts[1] as string) : token);
  }
  return out;
}

function coordinate(s: string | undefined): number {
  return s === undefined || s.trim() === '' ? Number.NaN : Number(s);
}

/** polygonPoints turns CAP "lat,lon lat,lon ..." into [[lat, lon], ...]; bad numbers become NaN for zod to report. */
export function polygonPoints(polygon: string): number[][] {
  const out: number[][] = [];
  for (const pair of polygon.trim().split(/\s+/)) {
    if (pair === '') continue;
    const parts = pair.split(',');
    out.push(parts.length === 2 ? [coordinate(parts[0]), coordinate(parts[1])] : parts.map(coordinate));
  }
  return out;
}

function levelOf(info: Node): string | undefined {
  for (const p of nodes(info.parameter)) {
    const name = text(p.valueName);
    if (name === undefined || !LEVEL_PARAMETERS.has(name.toLowerCase())) continue;
    const value = text(p.value)?.toLowerCase();
    const colour = value !== undefined && Object.hasOwn(COLOUR_LEVEL, value) ? COLOUR_LEVEL[value] : undefined;
    if (colour !== undefined) return colour;
  }
  const severity = text(info.severity);
  return severity !== undefined && Object.hasOwn(SEVERITY_LEVEL, severity) ? SEVERITY_LEVEL[severity] : undefined;
}

function areaOf(info: Node): { polygons?: number[][][]; towns?: string[] } {
  const polygons: number[][][] = [];
  const towns: string[] = [];
  for (const area of nodes(info.area)) {
    for (const poly of strings(area.polygon)) polygons.push(polygonPoints(poly));
    for (const g of nodes(area.geocode)) {
      const value = text(g.value);
      if (value !== undefined && Object.hasOwn(TOWN_NAMES, value) && !towns.includes(value)) towns.push(value);
    }
  }
  const out: { polygons?: number[][][]; towns?: string[] } = {};
  if (polygons.length > 0) out.polygons = polygons;
  if (towns.length > 0) out.towns = towns;
  return out;
}

function setIfPresent(target: Node, key: string, value: string | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** mapAlert maps a parsed CAP `alert` element to the weather.warning input object (CONTRACT.md §3). */
function mapAlert(alert: Node): Record<string, unknown> {
  const info = nodes(alert.info)[0] ?? {};
  const sent = text(alert.sent);
  const warning: Record<string, unknown> = {
    type: 'weather.warning',
    id: text(alert.identifier),
    sender: text(alert.sender),
    sent,
    status: text(alert.status),
    msgType: text(alert.msgType),
    event: text(info.event),
    level: levelOf(info),
    onset: text(info.onset) ?? text(info.effective) ?? sent,
    expires: text(info.expires),
    area: areaOf(info),
  };
  const refs = text(alert.references);
  if (refs !== undefined) warning.references = referenceIds(refs);
  setIfPresent(warning, 'headline', text(info.headline));
  setIfPresent(warning, 'description', text(info.description));
  setIfPresent(warning, 'instruction', text(info.instruction));
  return warning;
}

/**
 * parseCap turns a CAP 1.2 XML document into the `weather.warning` input object; the caller
 * validates it with validateEvent. Size is checked first, then any DOCTYPE/ENTITY declaration is
 * refused before parsing (so entity-expansion documents never reach the parser).
 *
 * @example
 * const r = parseCap(xml, 1 << 20);
 * if (r.ok) validateEvent(r.warning, 'risk.weather.warnings', 0, xml);
 */
export function parseCap(xml: string, maxBytes: number): CapResult {
  const bytes = Buffer.byteLength(xml, 'utf8');
  if (bytes > maxBytes) return fail('PAYLOAD_TOO_LARGE', `CAP document is ${bytes} bytes, over the limit of ${maxBytes}`);
  if (DTD_RE.test(xml)) return fail('XML_DOCTYPE_FORBIDDEN', 'DOCTYPE and ENTITY declarations are not allowed in CAP documents');
  const doc = xml.charCodeAt(0) === 0xfeff ? xml.slice(1).trimStart() : xml.trimStart();
  const valid = XMLValidator.validate(doc);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    return fail('INVALID_XML', `malformed XML at line ${line}${col === undefined ? '' : `, column ${col}`}: ${msg}`);
  }
  const rootProblem = checkRoot(doc);
  if (rootProblem !== undefined) return fail('INVALID_XML', rootProblem);
  let parsed: unknown;
  try {
    parsed = PARSER.parse(doc);
  } catch (err) {
    return fail('INVALID_XML', `unparsable XML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const alert = isNode(parsed) ? parsed.alert : undefined;
  if (!isNode(alert)) return fail('INVALID_XML', 'CAP <alert> element is empty');
  return { ok: true, warning: mapAlert(alert) };
}
