// The dashboard opened without a token (as the compose file and README print it: http://host:port/):
// a login page, not a JSON 401; pasting an operator token opens the dashboard; a bad token is refused
// on the page; API routes still answer JSON 401. Headless Chromium against the real app.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startTestApp, TEST_SECRET } from '../helpers/app.ts';
import { createAuth } from '../../src/auth/auth.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRE = process.env.RISKSTREAM_REQUIRE_SERVICES === '1';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && !REQUIRE) console.warn(`[e2e login] skipped: ${CHROMIUM} not found (set RISKSTREAM_REQUIRE_SERVICES=1 to make this a failure)`);
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!HAVE_CHROMIUM && !REQUIRE)('dashboard login page (headless Chromium)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>> | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM} not found and RISKSTREAM_REQUIRE_SERVICES=1`);
    app = await startTestApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.destroy();
  });

  it('GET / without a token is an HTML page; API routes answer JSON 401', async () => {
    const page = await fetch(`${app!.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('id="login-form"');
    const api = await fetch(`${app!.baseUrl}/api/v1/alerts`);
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  });

  it('shows the login form, refuses a bad token on the page, opens the dashboard with a pasted operator token, and keeps it across a reload', async () => {
    const page = await browser!.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const res = await page.goto(`${app!.baseUrl}/`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });
    expect(await page.getAttribute('body', 'data-login')).toBe('true');
    expect(await page.textContent('#login')).toContain('riskstream token --role operator');
    expect(await page.getAttribute('#conn', 'data-state')).toBe('closed');

    await page.fill('#login-token', 'not-a-token');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error', { state: 'visible' });
    expect(await page.textContent('#login-error')).toContain('令牌无效或已过期');
    expect(await page.isVisible('#login-form')).toBe(true);

    await page.fill('#login-token', `Bearer ${app!.tokens.operator}\n`); // as copied from a shell, with a prefix and a newline
    await page.click('#login-submit');
    await page.waitForSelector('#login', { state: 'hidden', timeout: 10_000 });
    await page.waitForSelector('#conn[data-state=open]', { timeout: 15_000 });
    expect(await page.getAttribute('body', 'data-role')).toBe('operator');
    expect(await page.getAttribute('body', 'data-login')).toBeNull();
    expect(await page.isHidden('#error-banner')).toBe(true);
    expect(page.url()).toBe(`${app!.baseUrl}/`); // the token is not put in the address bar

    // a reload in the same tab keeps the session (sessionStorage), no second login
    await page.reload();
    await page.waitForSelector('#conn[data-state=open]', { timeout: 15_000 });
    expect(await page.isHidden('#login')).toBe(true);
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  it('a token pasted on the login page that expires brings the login page back (登录已过期); a new token opens the dashboard again', async () => {
    const short = await createAuth(TEST_SECRET).sign({ sub: 'login-test', role: 'operator', towns: '*' }, '5s');
    const page = await browser!.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${app!.baseUrl}/`);
    await page.fill('#login-token', short);
    await page.click('#login-submit');
    await page.waitForSelector('#conn[data-state=open]', { timeout: 15_000 });
    await page.waitForSelector('body[data-expired=true]', { timeout: 20_000 });
    await page.waitForSelector('#login-form', { state: 'visible', timeout: 5_000 });
    expect(await page.textContent('#login-error')).toContain('登录已过期');
    expect(await page.evaluate('sessionStorage.getItem("riskstream.token")')).toBeNull();

    await page.fill('#login-token', app!.tokens.operator);
    await page.click('#login-submit');
    await page.waitForSelector('#login', { state: 'hidden', timeout: 10_000 });
    await page.waitForSelector('#conn[data-state=open]', { timeout: 15_000 });
    expect(await page.getAttribute('body', 'data-expired')).toBeNull();
    expect(await page.isHidden('#error-banner')).toBe(true);
    await page.close();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
