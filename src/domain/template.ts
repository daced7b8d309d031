/** Template: a message with {name} placeholders, compiled once. */
export type Template = (vars: Record<string, unknown>) => string;

const PLACEHOLDER = /\{([a-zA-Z][a-zA-Z0-9_]*)\}/g;

/**
 * BIDI_CONTROLS: embedding, override and isolate controls (U+202A–202E, U+2066–2069). A value from
 * an event that carries one would reverse the rest of the rendered line — a reading and its
 * threshold could read differently on a screen or in a text — so they are dropped from values.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
const shown = (v: unknown): string => (v === undefined || v === null ? '—' : String(v).replace(BIDI_CONTROLS, ''));

/** compileTemplate splits a template into literal and placeholder parts once, so rendering is a loop. */
export function compileTemplate(text: string): Template {
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index));
    names.push(m[1] as string);
    last = (m.index as number) + m[0].length;
  }
  parts.push(text.slice(last));
  return (vars) => {
    let out = parts[0] as string;
    for (let i = 0; i < names.length; i++) {
      const v = vars[names[i] as string];
      out += shown(v) + (parts[i + 1] as string);
    }
    return out;
  };
}
