// Logs: level names and masked phone numbers (src/logger.ts), read back from the JSON lines pino writes.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogSmsGateway } from '../../../src/adapters/log-sms/log-sms.ts';
import { AppError } from '../../../src/errors.ts';
import { createLogger, maskPhone, maskPhonesIn } from '../../../src/logger.ts';

function capture(level = 'debug') {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      raw.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger(level, stream);
  return { logger, raw, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  it('writes the level as a name', () => {
    const c = capture('debug');
    c.logger.info({ a: 1 }, 'hello');
    c.logger.warn('careful');
    c.logger.error({ err: new Error('boom') }, 'failed');
    c.logger.debug('detail');
    expect(c.lines().map((l) => l.level)).toEqual(['info', 'warn', 'error', 'debug']);
    expect(c.lines()[0]).toMatchObject({ svc: 'riskstream', a: 1, msg: 'hello' });
    expect(typeof c.lines()[0]!.time).toBe('string');
  });

  it('masks phone numbers: +86139****0001', () => {
    expect(maskPhone('+8613900000001')).toBe('+86139****0001');
    expect(maskPhone('13900000001')).toBe('139****0001');
    expect(maskPhone('12345')).toBe('****');
    expect(maskPhonesIn('call 13900000002 or +8613711112222; ts 1733412345678, id 12345678901234')).toBe('call 139****0002 or +86137****2222; ts 1733412345678, id 12345678901234');
  });

  it('the log SMS provider logs the recipient and the text with phone numbers masked', async () => {
    const c = capture('info');
    const gw = createLogSmsGateway({ logger: c.logger });
    await gw.send({ id: 'a1', to: '+8613900000001', text: '【应急】红色预警，请联系张三 13900000002' });
    await gw.close();
    const [line] = c.lines();
    expect(line).toMatchObject({ level: 'info', msg: 'sms (log provider)', to: '+86139****0001', text: '【应急】红色预警，请联系张三 139****0002' });
    expect(c.raw.join('\n')).not.toMatch(/13900000001|13900000002/);
  });

  it('masks phone fields one level down, in messages and in error messages', () => {
    const c = capture('info');
    c.logger.error({ err: new AppError('SMS_FAILED', 'invalid destination "+8613900000003": expected E.164'), to: '+8613900000004', leader: { phone: '+8613900000005', name: '李四' } }, 'text to +8613900000006 not sent');
    const raw = c.raw.join('\n');
    for (const n of ['13900000003', '13900000004', '13900000005', '13900000006']) expect(raw).not.toContain(n);
    const [line] = c.lines() as [{ to: string; leader: { phone: string; name: string }; err: { message: string; type: string }; msg: string }];
    expect(line.to).toBe('+86139****0004');
    expect(line.leader).toEqual({ phone: '+86139****0005', name: '李四' });
    expect(line.err.message).toBe('invalid destination "+86139****0003": expected E.164');
    expect(line.err.type).toBe('AppError');
    expect(line.msg).toBe('text to +86139****0006 not sent');
  });

  it('masks numbers an error carries in its details (a gateway echoing the request) and its cause', () => {
    const c = capture('info');
    const err = new AppError('SMS_FAILED', 'gateway refused the text', { details: [{ path: 'body', message: '{"to":"+8613900000011","text":"告警…"}' }] });
    (err as Error).cause = new Error('upstream said 13900000012 is barred');
    c.logger.error({ err }, 'text not sent');
    const raw = c.raw.join('\n');
    expect(raw).not.toContain('13900000011');
    expect(raw).not.toContain('13900000012');
    expect(raw).toContain('+86139****0011');
  });

  it('child loggers keep the masking and level names', () => {
    const c = capture('info');
    c.logger.child({ component: 'sms' }).warn({ to: '+8613900000007' }, 'retry');
    expect(c.lines()[0]).toMatchObject({ level: 'warn', component: 'sms', to: '+86139****0007' });
  });
});
