import WebSocket, { type ClientOptions } from 'ws';

// A ws client for the hub tests: like test/helpers/ws.ts, but with any URL and client options
// (query token, Origin, autoPong: false), and waits that can ask for the n-th match.

/** Frame: one parsed server frame. */
export type Frame = Record<string, any>;

/** Probe: a real ws client that records every frame. */
export interface Probe {
  ws: WebSocket;
  frames: Frame[];
  /** first frame ever received that matches (also one received before the call) */
  next(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** resolves once `n` frames matching `pred` have been received, with those frames */
  count(pred: (f: Frame) => boolean, n: number, timeoutMs?: number): Promise<Frame[]>;
  closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
  close(): void;
}

/** wsUrl turns the test app's http base URL into its /ws URL, with an optional query token. */
export function wsUrl(baseUrl: string, token?: string): string {
  return `${baseUrl.replace('http', 'ws')}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/** openProbe connects and resolves once open; rejects with `HTTP <status>` when the upgrade is refused. */
export async function openProbe(url: string, opts: ClientOptions = {}): Promise<Probe> {
  const ws = new WebSocket(url, opts);
  const frames: Frame[] = [];
  const checks = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    for (const c of [...checks]) c();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const count = (pred: (f: Frame) => boolean, n: number, timeoutMs = 3000): Promise<Frame[]> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const got = frames.filter(pred);
        if (got.length < n) return;
        checks.delete(check);
        clearTimeout(t);
        resolve(got.slice(0, n));
      };
      const t = setTimeout(() => {
        checks.delete(check);
        reject(new Error(`wanted ${n} matching frames within ${timeoutMs} ms, got ${frames.filter(pred).length}; types ${JSON.stringify(frames.map((f) => f.type))}`));
      }, timeoutMs);
      checks.add(check);
      check();
    });
  return {
    ws,
    frames,
    closed,
    count,
    next: async (pred, timeoutMs) => (await count(pred, 1, timeoutMs))[0]!,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    close: () => ws.close(),
  };
}

/** refusedUpgrade opens /ws expecting the server to refuse it; returns the HTTP status and JSON body. */
export function refusedUpgrade(url: string, opts: ClientOptions = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    ws.once('error', (err) => reject(err));
  });
}
