/**
 * SMS segmentation for UCS-2 (data_coding 8), the encoding every riskstream text uses because
 * it is Chinese. Pure functions; the SMPP adapter splits with them and templates measure with them.
 */

/** UCS2_SINGLE_UNITS: UTF-16 code units that fit one SMS (140 octets). */
export const UCS2_SINGLE_UNITS = 70;
/** UCS2_PART_UNITS: code units per part of a concatenated SMS (134 octets after a 6-octet UDH). */
export const UCS2_PART_UNITS = 67;
/** MAX_PARTS: an 8-bit concatenation header counts at most 255 parts. */
export const MAX_PARTS = 255;

/** splitUcs2 splits text into SMS parts; it never cuts a surrogate pair, so a part may hold 66 units. */
export function splitUcs2(text: string): string[] {
  if (text.length <= UCS2_SINGLE_UNITS) return [text];
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + UCS2_PART_UNITS);
    const last = text.charCodeAt(end - 1);
    // a high surrogate as the last unit would leave half a character in each part
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(text.slice(i, end));
    i = end;
  }
  return parts;
}

/** countSmsParts gives how many UCS-2 SMS parts a text needs. */
export function countSmsParts(text: string): number {
  return splitUcs2(text).length;
}
