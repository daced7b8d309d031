import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { BUNDLED } from '../../../src/config/paths.ts';
import type { TestApp } from '../../helpers/app.ts';

// Shared inputs for the API and WebSocket integration tests: real HTTP calls against a test app,
// and readings built from the bundled reference data (deploy/reference/sites.yaml).

/** Res: an HTTP response with its parsed JSON body. */
export interface Res {
  status: number;
  body: any;
}

async function call(t: TestApp, method: string, path: string, token: string | null, body?: unknown, contentType = 'application/json'): Promise<Res> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = contentType;
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** get: GET with a bearer token (the all-towns viewer by default, none when null). */
export const get = (t: TestApp, path: string, token: string | null = t.tokens.viewer) => call(t, 'GET', path, token);

/** post: POST a JSON body (or a raw string with its content type). */
export const post = (t: TestApp, path: string, token: string | null, body?: unknown, contentType?: string) => call(t, 'POST', path, token, body, contentType);

/** ingest: POST events to a topic as the ingest role. */
export const ingest = (t: TestApp, topic: string, body: unknown, contentType?: string, token = t.tokens.ingest) => post(t, `/api/v1/events/${topic}`, token, body, contentType);

/** Sensor: one expected sensor of a coal mine in the bundled reference data. */
export interface Sensor {
  siteId: string;
  town: string;
  id: string;
  sensorType: string;
  location: string;
}

/** coalMineSensors lists the CH4, CO and O2 sensors of the bundled coal mines (all covered by the rule pack). */
export function coalMineSensors(): Sensor[] {
  const sites = parse(readFileSync(BUNDLED.sites, 'utf8')) as { id: string; kind: string; town: string; sensors?: { id: string; sensorType: string; location: string }[] }[];
  return sites
    .filter((s) => s.kind === 'coal_mine')
    .flatMap((s) => (s.sensors ?? []).map((x) => ({ siteId: s.id, town: s.town, id: x.id, sensorType: x.sensorType, location: x.location })))
    .filter((x) => ['CH4', 'CO', 'O2'].includes(x.sensorType));
}

/** RED_VALUE: a reading at or past every red (or top) level of the bundled rules for that gas. */
const RED_VALUE: Record<string, { value: number; unit: string }> = { CH4: { value: 3, unit: '%' }, CO: { value: 60, unit: 'ppm' }, O2: { value: 17, unit: '%' } };

/** mineReading: a mine.reading of a sensor; `value` defaults to over every threshold. */
export function mineReading(s: Sensor, ts: number, value = RED_VALUE[s.sensorType]!.value) {
  return { type: 'mine.reading', siteId: s.siteId, sensorId: s.id, sensorType: s.sensorType, location: s.location, value, unit: RED_VALUE[s.sensorType]!.unit, ts };
}

/** ch4Face: a CH4 reading at a coal face (mine.ch4.face: ≥ 0.8 yellow, ≥ 1.0 orange, ≥ 1.5 red). */
export function ch4Face(siteId: string, sensorId: string, value: number, ts: number) {
  return { type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts };
}

/** gridFrequency: a frequency reading (grid.frequency: |f − 50| ≥ 0.2 orange, ≥ 0.5 red; never escalated). */
export function gridFrequency(siteId: string, equipmentId: string, value: number, ts: number) {
  return { type: 'grid.reading', siteId, equipmentId, quantity: 'frequency', value, unit: 'Hz', ts };
}

/** expectErrorShape: every error body is {"error": {code, message, details}} (CONTRACT.md §2). */
export function isErrorBody(body: any, code?: string): boolean {
  const e = body?.error;
  return (
    e !== undefined &&
    typeof e.code === 'string' &&
    typeof e.message === 'string' &&
    Array.isArray(e.details) &&
    Object.keys(body).length === 1 &&
    (code === undefined || e.code === code)
  );
}
