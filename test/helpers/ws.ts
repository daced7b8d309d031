import WebSocket from 'ws';

/** WsProbe: a real ws client that records every frame and can wait for one. */
export interface WsProbe {
  ws: WebSocket;
  frames: Record<string, unknown>[];
  next(pred: (f: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** connectWs opens /ws with a token (header) and resolves once open. */
export async function connectWs(baseUrl: string, token: string, headers: Record<string, string> = {}): Promise<WsProbe> {
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const frames: Record<string, unknown>[] = [];
  const waiters: { pred: (f: Record<string, unknown>) => boolean; resolve: (f: Record<string, unknown>) => void; from: number }[] = [];
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as Record<string, unknown>;
    frames.push(f);
    for (const w of [...waiters]) if (w.pred(f)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(f);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return {
    ws,
    frames,
    closed,
    close: () => ws.close(),
    next(pred, timeoutMs = 2000) {
      const seen = frames.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.type))}`)), timeoutMs);
        waiters.push({ pred, resolve: (f) => (clearTimeout(t), resolve(f)), from: frames.length });
      });
    },
  };
}
