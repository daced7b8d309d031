import smpp from 'smpp';
import { AppError } from '../../errors.ts';
import { MAX_PARTS, splitUcs2 } from '../../domain/segments.ts';

/** DATA_CODING_UCS2: data_coding for UCS-2 (ISO/IEC 10646), used for every text. */
export const DATA_CODING_UCS2 = 0x08;
/** ESM_UDHI: esm_class bit saying short_message starts with a user data header. */
export const ESM_UDHI = 0x40;
const ESM_TYPE_MASK = 0x3c;
const ESM_DELIVERY_RECEIPT = 0x04;
const ESM_INTERMEDIATE_NOTIFICATION = 0x20;

const E = smpp.errors as Record<string, number>;
const NAMES = new Map<number, string>(Object.entries(E).map(([k, v]) => [v, k]));

/** statusName gives the ESME_* name of a command_status, or its hex value. */
export function statusName(status: number): string {
  return NAMES.get(status) ?? `0x${status.toString(16).padStart(8, '0')}`;
}

/** RETRYABLE: submit statuses that mean "later" (throttling, full queue, SMSC trouble, session state). */
const RETRYABLE = new Set(
  ['ESME_RTHROTTLED', 'ESME_RMSGQFUL', 'ESME_RSYSERR', 'ESME_RSUBMITFAIL', 'ESME_RUNKNOWNERR', 'ESME_RX_T_APPN', 'ESME_RINVBNDSTS', 'ESME_RDELIVERYFAILURE'].map(
    (n) => E[n] as number,
  ),
);
/** AUTH_FAILURES: bind statuses that retrying with the same credentials cannot fix. */
const AUTH_FAILURES = new Set(['ESME_RINVPASWD', 'ESME_RINVSYSID', 'ESME_RBINDFAIL'].map((n) => E[n] as number));

/** isRetryableStatus: whether a submit_sm_resp status is worth retrying. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE.has(status);
}

/** isAuthFailure: whether a bind_resp status means wrong credentials (permanent). */
export function isAuthFailure(status: number): boolean {
  return AUTH_FAILURES.has(status);
}

/** statusError turns a non-zero command_status into an AppError with `retryable` set. */
export function statusError(what: string, status: number, retryable = isRetryableStatus(status)): AppError {
  const name = statusName(status);
  return new AppError('SMS_FAILED', `SMPP ${what} failed: ${name}`, {
    retryable,
    details: [{ path: what, message: name, code: name }],
  });
}

const E164 = /^\+?[1-9]\d{5,14}$/;

/** destinationOf validates an E.164 number and returns its digits (TON international, NPI ISDN). */
export function destinationOf(to: string): string {
  const compact = to.replace(/[\s-]/g, '');
  if (!E164.test(compact)) {
    throw new AppError('SMS_FAILED', `invalid destination ${JSON.stringify(to)}: expected E.164 such as +8613900000001`, {
      details: [{ path: 'to', message: 'invalid destination', code: 'ESME_RINVDSTADR' }],
    });
  }
  return compact.replace(/^\+/, '');
}

/** SubmitAddressing: source and destination address fields of submit_sm. */
export interface SubmitAddressing {
  sourceAddr: string;
  sourceTon: number;
  sourceNpi: number;
  destination: string;
  destTon: number;
  destNpi: number;
}

/**
 * submitParts builds the submit_sm parameters for a text: UCS-2, one PDU when it fits 70
 * characters, else concatenated parts with UDH (IEI 0x00, 8-bit reference, total, seq) and
 * esm_class 0x40; every part asks for a delivery receipt. short_message is given as bytes so the
 * smpp package does not pick an encoding itself.
 */
export function submitParts(text: string, ref: number, a: SubmitAddressing): Record<string, unknown>[] {
  const chunks = splitUcs2(text);
  if (chunks.length > MAX_PARTS) {
    throw new AppError('SMS_FAILED', `text needs ${chunks.length} SMS parts; at most ${MAX_PARTS} can be concatenated`);
  }
  const base = {
    source_addr_ton: a.sourceTon,
    source_addr_npi: a.sourceNpi,
    source_addr: a.sourceAddr,
    dest_addr_ton: a.destTon,
    dest_addr_npi: a.destNpi,
    destination_addr: a.destination,
    registered_delivery: 1,
    data_coding: DATA_CODING_UCS2,
  };
  if (chunks.length === 1) return [{ ...base, esm_class: 0, short_message: Buffer.from(ucs2(text)) }];
  return chunks.map((chunk, i) => ({
    ...base,
    esm_class: ESM_UDHI,
    short_message: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref & 0xff, chunks.length, i + 1]), ucs2(chunk)]),
  }));
}

/** ucs2 encodes text as UTF-16 big-endian (what SMPP calls UCS-2; surrogate pairs pass through). */
export function ucs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

/** STATE_NAMES: message_state TLV values as the `stat:` words of a receipt text. */
const STATE_NAMES = ['SCHEDULED', 'ENROUTE', 'DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD', 'SKIPPED'];

/** ParsedReceipt: the provider id and final state a receipt reports. */
export interface ParsedReceipt {
  providerId: string;
  status: string;
  err?: string;
}

/**
 * GSM_TO_ASCII undoes the smpp package's GSM 03.38 decoding of data_coding 0/1 for characters
 * whose GSM position is printable ASCII (0x20–0x7f): an SMSC sending the receipt as ASCII bytes
 * has '_' (0x5f) turned into '§', '@' (0x40) into '¡', '$' into '¤'. Characters from GSM's
 * control range (a genuinely GSM-encoded '_' is 0x11) are left as decoded.
 */
const GSM_TO_ASCII = new Map<string, string>();
[...smpp.gsmCoder.GSM.chars].forEach((c, i) => {
  if (i >= 0x20 && c !== String.fromCharCode(i)) GSM_TO_ASCII.set(c, String.fromCharCode(i));
});

/** receiptText gives the text of a receipt as the SMSC meant it (see GSM_TO_ASCII). */
function receiptText(pdu: smpp.PDU): string {
  const sm = (pdu.message_payload ?? pdu.short_message) as { message?: unknown } | Buffer | undefined;
  const msg = Buffer.isBuffer(sm) ? sm : sm?.message;
  if (Buffer.isBuffer(msg)) return msg.toString('latin1');
  if (typeof msg !== 'string') return '';
  const coding = ((pdu.data_coding as number | undefined) ?? 0) & 0x0f;
  if (coding > 1) return msg;
  let out = '';
  for (const c of msg) out += GSM_TO_ASCII.get(c) ?? c;
  return out;
}

/**
 * parseReceipt reads a deliver_sm that is a delivery receipt (esm_class type 0x04, or 0x20 for an
 * intermediate notification): `receipted_message_id`/`message_state` TLVs when present, else the
 * text "id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:…". Undefined for other deliver_sm.
 */
export function parseReceipt(pdu: smpp.PDU): ParsedReceipt | undefined {
  const type = ((pdu.esm_class as number | undefined) ?? 0) & ESM_TYPE_MASK;
  if (type !== ESM_DELIVERY_RECEIPT && type !== ESM_INTERMEDIATE_NOTIFICATION) return undefined;
  const text = receiptText(pdu);
  const tlvId = typeof pdu.receipted_message_id === 'string' && pdu.receipted_message_id ? pdu.receipted_message_id : undefined;
  const tlvState = typeof pdu.message_state === 'number' ? STATE_NAMES[pdu.message_state] : undefined;
  const providerId = tlvId ?? /\bid:\s*([^\s]+)/i.exec(text)?.[1];
  const status = tlvState ?? /\bstat:\s*([A-Za-z_]+)/i.exec(text)?.[1]?.toUpperCase();
  if (!providerId || !status) return undefined;
  const err = /\berr:\s*([^\s]+)/i.exec(text)?.[1];
  return err ? { providerId, status, err } : { providerId, status };
}

/** alternateIds: SMSCs often answer submit_sm with a hex id and report it in decimal, or the reverse. */
export function alternateIds(id: string): string[] {
  const out: string[] = [];
  if (/^\d{1,30}$/.test(id)) out.push(BigInt(id).toString(16));
  if (/^[0-9a-f]{1,24}$/i.test(id)) out.push(BigInt(`0x${id}`).toString(10));
  return out.filter((x) => x !== id);
}
