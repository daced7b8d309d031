// riskstream control-room dashboard. Plain ES module: no build step, no framework, no external
// resources. Alert text comes from external input, so it is only ever set with textContent.

const SEVERITIES = ['red', 'orange', 'yellow', 'blue']; // display order, most severe first
const SEV_ZH = { red: '红色', orange: '橙色', yellow: '黄色', blue: '蓝色' };
const SEV_LEVEL = { red: 'Ⅰ级', orange: 'Ⅱ级', yellow: 'Ⅲ级', blue: 'Ⅳ级' };
const DOMAINS = { weather: '气象', mine: '矿山', grid: '电网', enforcement: '执法', site: '场所', road: '道路运输', fire: '消防', system: '系统' };
const STATE_ZH = { firing: '告警中', acknowledged: '已确认', resolved: '已解除' };
const STATE_EN = { firing: 'Firing', acknowledged: 'Acknowledged', resolved: 'Resolved' };
const SITE_KIND_ZH = { coal_mine: '煤矿', open_pit_mine: '露天矿', non_coal_mine: '非煤矿山', substation: '变电站', power_line: '输电线路', construction_site: '建筑工地', scenic_area: '景区', crowded_venue: '人员密集场所', logistics_park: '物流园区', transport_operator: '道路运输企业', high_rise_building: '高层建筑', chemical_plant: '化工企业', hazardous_chemicals: '危化品企业' };
const ROLE_ZH = { viewer: '查看', operator: '值班员', admin: '管理员', ingest: '数据接入', screen: '大屏' };
const EXPIRY_WARN_MS = 3_600_000; // warn this long before the token expires
const EXPIRED_TEXT = '登录已过期，请重新获取大屏令牌（riskstream token --role screen）并重新打开本页 — Session expired: mint a new token';
const RESOLVED_FADE_MS = 10_000; // a resolved alert stays in the list this long, fading
const RECENT_MAX = 12; // entries kept under "recently resolved"
const HEARTBEAT_DEAD_MS = 40_000; // no frame for this long: the connection is dead
const BACKOFF_MIN_MS = 1_000, BACKOFF_MAX_MS = 15_000; // reconnect delay: 1 s doubling to 15 s, with jitter
const TOKEN_KEY = 'riskstream.token';
const LIST_MAX = 200; // incidents drawn in the list at most (the rest are counted: a storm must not build 20,000 rows)
const WALL_PAGE = 10; // incidents per wall page: the 10 most severe fit 1920×1080 and 3840×2160 without scrolling
const WALL_ROTATE_MS = 15_000; // more incidents than a page: the wall turns the page this often

const $ = (id) => document.getElementById(id);
const pad = (n) => String(n).padStart(2, '0');

const state = {
  token: '', info: null, canAck: false, townNames: {}, siteNames: {}, siteKinds: {},
  toggled: new Map(), // incident key -> expanded, where the operator chose
  alerts: new Map(), // id -> alert: open alerts, plus resolved ones while they fade
  resolvedAt: new Map(), // id -> ms when the resolve arrived
  recent: [], // recently resolved alerts, newest first: [{alert, at}]
  acking: new Set(), // ids with an ack request in flight
  lastSeq: undefined, ws: null, attempt: 0, retryTimer: 0, retryAt: 0, lastFrameAt: 0,
  everConnected: false, synced: false, // synced: a first snapshot is shown (later new rows flash)
  expiresAt: 0, expired: false, tokenFromUrl: false, // when the token expires (ms); expired: stop reconnecting, say so
  wall: false, wallPage: 0, wallPages: 1, wallTurnedAt: 0, // wall mode (?wall=1, or a screen token): pages of incidents
};
const rows = new Map(); // id -> { el, sig }
const cards = new Map(); // incident key -> { el, sig }

/** el creates an element; text is assigned with textContent, never parsed as HTML. */
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = String(text);
  return e;
}

function fmtTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return d.toDateString() === new Date().toDateString() ? t : `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}`;
}

const townName = (id) => (id ? state.townNames[id] || id : '未关联乡镇');
const fmtNum = (v) => (typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : '');

function readToken() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  state.tokenFromUrl = Boolean(fromUrl);
  let token = fromUrl || '';
  try {
    if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl);
    else token = sessionStorage.getItem(TOKEN_KEY) || '';
  } catch { /* storage disabled: keep the token in memory only */ }
  // The token stays in the address bar: GET / needs it, so a control-room screen survives a reload (F5).
  return token;
}

async function api(path, opts = {}) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${state.token}` };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { ...opts, headers, cache: 'no-store' });
  let body = null;
  try { body = await res.json(); } catch { /* empty or not JSON */ }
  if (!res.ok) throw Object.assign(new Error(body?.error?.message || `HTTP ${res.status}`), { status: res.status });
  return body;
}

const showError = (msg) => Object.assign($('error-banner'), { textContent: msg, hidden: !msg });

let toastTimer = 0;
function toast(msg) {
  Object.assign($('toast'), { textContent: msg, hidden: false });
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { $('toast').hidden = true; }, 6000);
}

const showDemo = () => { $('demo-banner').hidden = false; };

async function loadInfo() {
  try {
    const info = await api('/api/v1/info');
    state.info = info;
    state.townNames = info.townNames || {};
    state.canAck = info.role === 'operator' || info.role === 'admin';
    document.body.dataset.role = info.role || 'viewer';
    if (info.role === 'screen') setWall(true); // an unattended screen is a wall
    state.expiresAt = info.expiresAt ? Date.parse(info.expiresAt) : 0;
    $('version').textContent = info.version ? `v${info.version}` : '';
    const towns = Array.isArray(info.towns) ? info.towns.map(townName).join('、') : '全部乡镇';
    $('scope').textContent = `· ${ROLE_ZH[info.role] || info.role || ''} · ${towns}`;
    if (info.demo) showDemo();
    showError('');
    render(true);
    api('/api/v1/sites').then((b) => { // site names are a nicety
      for (const s of b?.sites || []) if (s && s.id) { state.siteNames[s.id] = s.name; state.siteKinds[s.id] = s.kind; }
      render(true);
    }).catch(() => {});
  } catch (e) {
    if (e.status === 401) expired();
    else if (e.status === 403) showError('无访问权限 — Forbidden');
    else { showError('无法获取服务信息，正在重试… — Cannot reach server, retrying'); setTimeout(loadInfo, 5000); }
  }
}

/** isDrill: an Exercise/Test alert (CAP status, drill label): shown in its own lane, never counted in the live tiles. */
// On a live (not demo) server, alerts raised from simulated data (a demo file replayed into it) go there too.
const isDrill = (a) => (a.labels?.drill !== undefined && a.labels.drill !== 'false') || (a.labels?.simulated === 'true' && !state.info?.demo);

const ACTIONS = {
  ack: { title: '确认告警 Acknowledge', label: '确认说明（可选）Note (optional)', submit: '确认 Acknowledge', required: false },
  resolve: { title: '解除告警 Resolve', label: '解除原因（必填）Reason (required)', submit: '解除 Resolve', required: true },
  confirm: { title: '登记企业反馈 Company confirmation', label: '企业已采取的措施、反馈人（必填）What the company did, who said so (required)', submit: '登记 Record', required: true },
  silence: { title: '静默 Silence（维护窗口）', label: '原因，如检修工单（必填）Comment, e.g. the work order (required)', submit: '静默 Silence', required: true },
};
const dialogState = { kind: '', alert: null, group: null };

/**
 * openAction: the dialog for acknowledging (with a note), resolving (with a reason) or silencing
 * (matchers prefilled). `group`: acknowledge every firing alert of an incident at once.
 */
function openAction(kind, a, group = null) {
  const spec = ACTIONS[kind];
  Object.assign(dialogState, { kind, alert: a, group });
  const dlg = $('action-dialog');
  dlg.dataset.kind = kind;
  dlg.dataset.group = group ? String(group.length) : '';
  $('action-title').textContent = group ? `${spec.title} · 全部 ${group.length} 条` : spec.title;
  $('action-alert').textContent = group
    ? group.map((x) => `${SEV_ZH[x.severity] || x.severity} ${x.title}`).join('；')
    : `${SEV_ZH[a.severity] || a.severity} · ${a.title} · ${townName(a.town)}${a.siteId ? ` · ${state.siteNames[a.siteId] || a.siteId}` : ''}`;
  $('action-note-label').textContent = spec.label;
  $('action-note').value = '';
  $('action-submit').textContent = spec.submit;
  $('action-submit').disabled = false;
  $('action-error').hidden = true;
  const silence = kind === 'silence';
  $('action-silence').hidden = !silence;
  if (silence) {
    $('silence-site-id').textContent = a.siteId || '—';
    $('silence-site').checked = Boolean(a.siteId);
    $('silence-site').disabled = !a.siteId;
    $('silence-rule-id').textContent = a.ruleId || '—';
    $('silence-rule').checked = true;
  }
  dlg.showModal();
  $('action-note').focus();
}

async function submitAction() {
  const { kind, alert: a, group } = dialogState;
  if (!a) return;
  const note = $('action-note').value.trim();
  const fail = (msg) => Object.assign($('action-error'), { textContent: msg, hidden: false });
  if (ACTIONS[kind].required && !note) return fail('请填写原因 — A reason is required');
  if (group) return ackGroup(group, note, fail);
  let path, body;
  if (kind === 'silence') {
    const matchers = {};
    if ($('silence-site').checked && a.siteId) matchers.siteId = a.siteId;
    if ($('silence-rule').checked) matchers.ruleId = a.ruleId;
    if (!Object.keys(matchers).length) return fail('至少选择一个静默范围 — Pick at least one matcher');
    // a town-limited operator silences within its own town (the server requires the town matcher)
    if (Array.isArray(state.info?.towns) && a.town) matchers.town = a.town;
    const hours = Number($('silence-hours').value) || 2;
    path = '/api/v1/silences';
    body = { matchers, endsAt: new Date(Date.now() + hours * 3_600_000).toISOString(), comment: note };
  } else {
    path = `/api/v1/alerts/${encodeURIComponent(a.id)}/${kind}`;
    body = note ? { note } : {};
  }
  $('action-submit').disabled = true;
  if (kind === 'ack') state.acking.add(a.id);
  render();
  try {
    const res = await api(path, { method: 'POST', body: JSON.stringify(body) });
    $('action-dialog').close();
    if (kind === 'silence') toast(`已静默至 ${fmtTime(res.endsAt)} — Silenced (${res.id})`);
    else {
      const b = res && res.alert && res.alert.id ? res.alert : res;
      const cur = state.alerts.get(a.id);
      // The stream may already have delivered something newer (e.g. a resolve): keep the newest.
      if (b && b.id === a.id && cur && cur.state !== 'resolved' && !(Date.parse(cur.updatedAt) > Date.parse(b.updatedAt))) upsert(b);
    }
  } catch (e) {
    $('action-submit').disabled = false;
    fail(e.status === 409 ? '该告警已解除 — Already resolved' : `操作失败 Failed：${e.message}`);
  } finally {
    state.acking.delete(a.id);
    render();
  }
}

/** ackGroup acknowledges every alert of an incident with one note; says how many went through. */
async function ackGroup(group, note, fail) {
  $('action-submit').disabled = true;
  for (const x of group) state.acking.add(x.id);
  render();
  let failed = 0, gone = 0;
  for (const x of group) {
    try {
      const b = await api(`/api/v1/alerts/${encodeURIComponent(x.id)}/ack`, { method: 'POST', body: JSON.stringify(note ? { note } : {}) });
      const cur = state.alerts.get(x.id);
      if (b && b.id === x.id && cur && cur.state !== 'resolved' && !(Date.parse(cur.updatedAt) > Date.parse(b.updatedAt))) state.alerts.set(x.id, b);
    } catch (e) {
      if (e.status === 409) gone++; // resolved meanwhile, nothing left to acknowledge
      else failed++;
    } finally {
      state.acking.delete(x.id);
    }
  }
  render();
  if (failed) {
    $('action-submit').disabled = false;
    return fail(`${failed} 条确认失败，请重试 — ${failed} failed`);
  }
  $('action-dialog').close();
  const done = group.length - gone;
  toast(gone ? `已确认 ${done} 条，${gone} 条已被他人解除 — Acknowledged ${done}, ${gone} resolved meanwhile` : `已确认 ${done} 条 — Acknowledged ${done}`);
}

const KIND_ZH = { fired: '告警', updated: '更新', escalated: '升级', acknowledged: '确认', resolved: '解除', unconfirmed: '催企业反馈' };
const TEXT_STATUS_ZH = { sent: '已发送', failed: '发送失败', delivered: '已送达', undelivered: '未送达' };

/** openDetail: the alert's history (who, when, notes) and the texts sent about it, with their delivery. */
async function openDetail(a) {
  const dlg = $('detail-dialog');
  dlg.dataset.alertId = a.id;
  $('detail-title').textContent = `${SEV_ZH[a.severity] || a.severity} · ${a.title}`;
  $('detail-summary').textContent = a.summary || '';
  $('detail-history').replaceChildren(el('li', null, '加载中… Loading'));
  $('detail-texts').replaceChildren();
  $('no-texts').hidden = true;
  $('detail-trend').hidden = true;
  $('detail-lead').hidden = true;
  $('detail-spark').replaceChildren();
  dlg.showModal();
  renderTrend(a).catch(() => { /* no history: the trend stays hidden */ });
  try {
    const d = await api(`/api/v1/alerts/${encodeURIComponent(a.id)}`);
    const hist = $('detail-history');
    hist.replaceChildren();
    for (const h of d.history || []) {
      const li = el('li');
      li.dataset.kind = h.kind;
      li.append(el('time', null, fmtTime(h.at)), ' ', el('b', null, KIND_ZH[h.kind] || h.kind));
      const x = h.alert || {};
      if (h.kind === 'acknowledged') {
        const ack = (x.acks || [])[x.acks.length - 1];
        if (ack) { li.append(` · ${ack.by}`); if (ack.note) li.append(' · ', el('span', 'note', ack.note)); }
      } else if (h.kind === 'resolved' && x.labels?.resolvedBy) {
        li.append(` · ${x.labels.resolvedBy}`);
        if (x.labels.resolveNote) li.append(' · ', el('span', 'note', x.labels.resolveNote));
      } else if (h.kind === 'escalated' && x.labels?.escalatedTo) li.append(` · ${x.labels.escalatedTo}`);
      else if (h.kind === 'updated' && x.labels?.confirmedAt === h.at) {
        li.append(' · 企业反馈 · ', x.labels.confirmedBy || '');
        if (x.labels.confirmNote) li.append(' · ', el('span', 'note', x.labels.confirmNote));
      } else if (h.kind === 'updated' && x.labels?.confirmOverdue === 'true') li.append(' · 企业未反馈');
      else if (typeof x.value === 'number') li.append(` · ${fmtNum(x.value)}`);
      hist.append(li);
    }
    const texts = $('detail-texts');
    for (const t of d.notifications || []) {
      const li = el('li');
      li.dataset.status = t.status;
      li.append(el('time', null, fmtTime(t.at)), ` ${t.name || ''}（${t.role === 'leader' ? '带班领导' : t.role === 'site' ? '企业' : '值班员'}）· ${KIND_ZH[t.kind] || t.kind} · `, el('b', null, TEXT_STATUS_ZH[t.status] || t.status));
      if (t.error) li.append(` · ${t.error}`);
      texts.append(li);
    }
    $('no-texts').hidden = (d.notifications || []).length > 0;
  } catch (e) {
    $('detail-history').replaceChildren(el('li', 'dlg-error', `无法加载 Cannot load：${e.message}`));
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs) => {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

let rulesCache = null;
async function ruleOf(id) {
  if (!rulesCache) rulesCache = api('/api/v1/rules').then((b) => new Map((b.rules || []).map((r) => [r.id, r]))).catch(() => new Map());
  return (await rulesCache).get(id);
}

/**
 * leadTime: at the rate of the last 10 minutes (least squares), how long until a rising reading
 * reaches `target`; undefined when it is not rising, already there, or there are too few points.
 */
function leadTime(points, target, below = false) {
  // a floor (O2): mirror the values, so "towards the level" is always upwards
  if (below) return leadTime(points.map((p) => ({ t: p.t, v: -p.v })), -target);
  const last = points[points.length - 1];
  if (!last || !(last.v < target)) return undefined;
  const recent = points.filter((p) => p.t >= last.t - 600_000);
  if (recent.length < 3) return undefined;
  // only a reading that is still moving that way: the last three rising, each by more than noise
  const [p3, p2, p1] = recent.slice(-3);
  const noise = Math.max(1e-6, Math.abs(target) * 0.005);
  if (!(p2.v - p3.v > noise && p1.v - p2.v > noise)) return undefined;
  const n = recent.length;
  const mt = recent.reduce((s, p) => s + p.t, 0) / n, mv = recent.reduce((s, p) => s + p.v, 0) / n;
  let num = 0, den = 0;
  for (const p of recent) { num += (p.t - mt) * (p.v - mv); den += (p.t - mt) ** 2; }
  const slope = den > 0 ? num / den : 0; // per ms
  if (!(slope > 0)) return undefined;
  const ms = (target - last.v) / slope;
  return ms <= 3_600_000 ? ms : undefined; // beyond an hour a straight line says nothing
}

/** renderTrend: the sensor's last hour from /api/v1/history, with the rule's thresholds drawn, and the lead time to the next one. */
async function renderTrend(a) {
  const l = a.labels || {};
  const metric = l.sensorType && l.sensorId ? `${l.sensorType}:${l.sensorId}` : l.quantity && l.equipmentId ? `${l.quantity}:${l.equipmentId}` : l.metric;
  if (!a.siteId || !metric) return;
  const now = Date.now();
  const [h, rule] = await Promise.all([api(`/api/v1/history?siteId=${encodeURIComponent(a.siteId)}&metric=${encodeURIComponent(metric)}&from=${now - 3_600_000}`), ruleOf(a.ruleId)]);
  const points = (h.points || []).map((p) => ({ t: Date.parse(p.ts), v: p.value })).filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v));
  if ($('detail-dialog').dataset.alertId !== a.id || points.length < 2) return;
  const unit = h.points.find((p) => p.unit)?.unit || '';
  // a rule that compares a deviation (frequency from 50 Hz, voltage from nominal) has levels in
  // another quantity than the readings: the line is drawn without them, and no lead time
  const comparable = !rule?.measure || rule.measure.kind === 'value';
  const below = rule?.direction === 'below';
  const levels = comparable ? (rule?.levels || []).filter((x) => typeof x.value === 'number') : [];
  const W = 560, H = 120, P = 6;
  const t0 = Math.min(points[0].t, now - 3_600_000), t1 = Math.max(now, points[points.length - 1].t);
  const vs = [...points.map((p) => p.v), ...levels.map((x) => x.value)];
  const lo = Math.min(...vs, 0), hi = Math.max(...vs) * 1.05 || 1;
  const x = (t) => P + ((t - t0) / (t1 - t0 || 1)) * (W - 2 * P);
  const y = (v) => H - P - ((v - lo) / (hi - lo || 1)) * (H - 2 * P);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'spark', role: 'img', 'aria-label': `${metric} 近一小时曲线` });
  for (const lv of levels) {
    root.append(svg('line', { x1: P, x2: W - P, y1: y(lv.value), y2: y(lv.value), class: `thr thr-${lv.severity}`, 'data-value': lv.value }));
    const label = svg('text', { x: P + 2, y: y(lv.value) - 2, 'text-anchor': 'start', class: `thr-label thr-${lv.severity}` });
    label.textContent = `${SEV_ZH[lv.severity] || lv.severity} ${lv.value}${unit}`;
    root.append(label);
  }
  root.append(svg('polyline', { points: points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' '), class: 'line' }));
  $('detail-spark').replaceChildren(root);
  $('detail-metric').textContent = metric;
  $('detail-trend').hidden = false;
  // the lead time to the next level above the latest reading (for methane the red level is 断电浓度)
  const last = points[points.length - 1];
  const next = below ? levels.filter((lv) => lv.value < last.v).sort((p, q) => q.value - p.value)[0] : levels.filter((lv) => lv.value > last.v).sort((p, q) => p.value - q.value)[0];
  const ms = next ? leadTime(points, next.value, below) : undefined;
  const lead = $('detail-lead');
  if (ms === undefined) { lead.hidden = true; return; }
  const name = next.severity === 'red' && l.sensorType === 'CH4' ? '断电值' : `${SEV_ZH[next.severity] || next.severity}阈值`;
  lead.textContent = `按当前速率约 ${Math.max(1, Math.round(ms / 60_000))} 分钟达到${name} ${next.value}${unit}`;
  lead.hidden = false;
}

/**
 * Sound: browsers play audio only after a gesture, so the operator turns it on once (the button).
 * A new red alert (live, not silenced) then sounds a two-tone alarm every 2 s until every such
 * alert is acknowledged or resolved, or the operator mutes it (the same button, while it sounds).
 */
const sound = { on: false, ctx: null, alarming: new Set(), timer: 0, beeps: 0 };

function beep() {
  const ctx = sound.ctx;
  if (!ctx) return;
  const t = ctx.currentTime;
  for (const [i, f] of [[0, 880], [1, 660]]) {
    const o = ctx.createOscillator(), g = ctx.createGain();
    o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, t + i * 0.3);
    g.gain.exponentialRampToValueAtTime(0.3, t + i * 0.3 + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.3 + 0.28);
    o.connect(g).connect(ctx.destination);
    o.start(t + i * 0.3);
    o.stop(t + i * 0.3 + 0.3);
  }
  sound.beeps++;
  $('sound-btn').dataset.beeps = String(sound.beeps);
}

function soundView() {
  const b = $('sound-btn');
  const st = !sound.on ? 'off' : sound.alarming.size ? 'alarm' : 'on';
  b.dataset.sound = st;
  b.setAttribute('aria-pressed', String(sound.on));
  let wasOn = false;
  try { wasOn = sessionStorage.getItem(SOUND_KEY) === 'on'; } catch { /* storage off */ }
  b.textContent = st === 'off' ? (wasOn ? '声音已随页面重载关闭 · 点击恢复' : '声音 关 · 点击开启') : st === 'alarm' ? `报警中（${sound.alarming.size}）· 点击静音` : '声音 开';
}

/** alarmCheck: keeps alarming only for red alerts still firing; the tone repeats while any is left. */
function alarmCheck() {
  for (const id of sound.alarming) {
    const a = state.alerts.get(id);
    if (!a || a.state !== 'firing' || a.labels?.silenced === 'true') sound.alarming.delete(id);
  }
  if (sound.on && sound.alarming.size && !sound.timer) {
    beep();
    sound.timer = setInterval(() => (sound.alarming.size ? beep() : stopAlarm()), 2000);
  } else if (!sound.alarming.size || !sound.on) stopAlarm();
  soundView();
}

function stopAlarm() {
  clearInterval(sound.timer);
  sound.timer = 0;
}

/** alarmFor: a red alert that just arrived live (not a drill, not silenced, not from the first snapshot). */
function alarmFor(a) {
  if (!sound.on || !state.synced || a.severity !== 'red' || a.state !== 'firing' || isDrill(a) || a.labels?.silenced === 'true') return;
  sound.alarming.add(a.id);
}

/** alarmAllWaiting: every live red alert still waiting for acknowledgement sounds (sound turned on, a fresh snapshot). */
function alarmAllWaiting() {
  if (!sound.on) return;
  for (const a of state.alerts.values()) if (a.severity === 'red' && a.state === 'firing' && !isDrill(a) && a.labels?.silenced !== 'true') sound.alarming.add(a.id);
}

const SOUND_KEY = 'riskstream.sound';
function setupSound() {
  $('sound-btn').addEventListener('click', () => {
    if (sound.on && sound.alarming.size) sound.alarming.clear(); // mute what sounds now; new red alerts sound again
    else if (sound.on) sound.on = false;
    else {
      sound.on = true;
      try {
        sound.ctx ||= new AudioContext();
        void sound.ctx.resume();
      } catch { /* no audio here: the button still shows the state */ }
      // turned on (again, after a reload): the red alerts already waiting sound too
      alarmAllWaiting();
    }
    try { sessionStorage.setItem(SOUND_KEY, sound.on ? 'on' : 'off'); } catch { /* storage off */ }
    alarmCheck();
  });
  soundView();
}

const HAZARD_LEVEL_ZH = { major: '重大', general: '一般' };

/** hazardItem: one hazard of the ledger — level, site, deadline and days to it (or since it passed). */
function hazardItem(h, kind) {
  const li = el('li', `hz hz-${kind}`);
  li.dataset.hazardId = h.hazardId;
  li.append(el('b', `hz-level hz-${h.level}`, HAZARD_LEVEL_ZH[h.level] || h.level), ` ${h.siteName || h.siteId} · ${h.hazardId}`);
  if (h.description) li.append(` · ${h.description}`);
  if (kind === 'closed') li.append(' · ', el('span', 'hz-days', `${fmtTime(h.closedAt)} 销号`));
  else if (h.daysLeft < 0) li.append(' · ', el('span', 'hz-days overdue', `逾期 ${-h.daysLeft} 天（视同事故）`));
  else li.append(' · ', el('span', 'hz-days', h.daysLeft === 0 ? '今日到期' : `剩余 ${h.daysLeft} 天`));
  li.append(el('small', null, ` 期限 ${fmtTime(h.deadline)}`));
  return li;
}

/** openLedger: the hazard ledger board from /api/v1/hazards — per town, open / overdue / closed. */
async function openLedger() {
  const dlg = $('ledger-dialog');
  dlg.showModal();
  const body = $('ledger-table').tBodies[0];
  body.replaceChildren();
  $('ledger-lists').replaceChildren(el('p', 'empty small', '加载中… Loading'));
  try {
    const d = await api('/api/v1/hazards');
    $('ledger-days').textContent = String(d.closedDays || 30);
    const lists = $('ledger-lists');
    lists.replaceChildren();
    for (const t of d.towns || []) {
      const tr = el('tr');
      tr.dataset.town = t.town;
      tr.append(el('td', null, t.name), el('td', 'n-open', t.open.length), el('td', `n-overdue${t.overdue.length ? ' bad' : ''}`, t.overdue.length), el('td', 'n-closed', t.closed.length));
      body.append(tr);
      if (!t.open.length && !t.overdue.length && !t.closed.length) continue;
      const sec = el('section', 'ledger-town');
      sec.dataset.town = t.town;
      sec.append(el('h3', null, t.name));
      for (const [kind, list] of [['overdue', t.overdue], ['open', t.open], ['closed', t.closed]]) {
        if (!list.length) continue;
        const ol = el('ul', `hz-list hz-list-${kind}`);
        for (const h of list) ol.append(hazardItem(h, kind));
        sec.append(ol);
      }
      lists.append(sec);
    }
  } catch (e) {
    $('ledger-lists').replaceChildren(el('p', 'dlg-error', `无法加载 Cannot load：${e.message}`));
  }
}

/**
 * The map: the banner and its towns (bundled outlines, marked 示意 when schematic), every site
 * coloured by its worst live open alert, warning polygons and radar cells (radius; motion when
 * known). Drawn with d3 (geoMercator, geoPath, geoCircle) into SVG; click a site for its alerts.
 */
const mapState = { frame: 0, on: false, geo: null, warnings: [], cells: [], sites: [], loadedAt: 0, selected: '' };
const MAP_REFRESH_MS = 30_000;

/** d3 wants clockwise exterior rings (GeoJSON files are counter-clockwise): rewind by the planar signed area. */
function clockwise(ring) {
  let a = 0;
  for (let i = 0; i < ring.length - 1; i++) a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return a > 0 ? [...ring].reverse() : ring;
}
const polyFeature = (rings, props = {}) => ({ type: 'Feature', properties: props, geometry: { type: 'Polygon', coordinates: rings.map(clockwise) } });

async function loadMap() {
  const [m, w, s] = await Promise.all([api('/api/v1/map'), api('/api/v1/warnings'), api('/api/v1/sites')]);
  mapState.geo = m.outlines;
  mapState.cells = m.cells || [];
  mapState.warnings = w.warnings || [];
  mapState.sites = s.sites || [];
  mapState.loadedAt = Date.now();
  drawMap();
}

/** worstAt: the worst severity of the live open alerts at each site. */
function worstAt() {
  const out = new Map();
  for (const a of state.alerts.values()) {
    if (a.state === 'resolved' || isDrill(a) || !a.siteId) continue;
    const cur = out.get(a.siteId);
    if (!cur || SEVERITIES.indexOf(a.severity) < SEVERITIES.indexOf(cur)) out.set(a.siteId, a.severity);
  }
  return out;
}

function drawMap() {
  const d3 = window.d3;
  const box = $('map');
  if (!mapState.on || !mapState.geo || !d3) return;
  const W = Math.max(300, box.clientWidth), H = Math.max(300, box.clientHeight);
  const feats = (mapState.geo.features || []).map((f) => ({ ...f, geometry: { type: 'Polygon', coordinates: f.geometry.coordinates.map(clockwise) } }));
  const banner = feats.find((f) => f.properties.kind === 'banner') || { type: 'FeatureCollection', features: feats };
  const proj = d3.geoMercator().fitExtent([[24, 24], [W - 24, H - 24]], banner);
  const path = d3.geoPath(proj);
  const root = d3.create('svg').attr('viewBox', `0 0 ${W} ${H}`).attr('width', W).attr('height', H).attr('class', 'map-svg');
  const g = (cls) => root.append('g').attr('class', cls);
  g('towns').selectAll('path').data(feats.filter((f) => f.properties.kind === 'town')).join('path')
    .attr('d', path).attr('class', 'town-shape').attr('data-town', (f) => f.properties.id);
  g('banner').selectAll('path').data(feats.filter((f) => f.properties.kind === 'banner')).join('path').attr('d', path).attr('class', 'banner-shape');
  g('town-labels').selectAll('text').data(feats.filter((f) => f.properties.kind === 'town')).join('text')
    .attr('class', 'town-label').attr('text-anchor', 'middle')
    .attr('x', (f) => path.centroid(f)[0]).attr('y', (f) => path.centroid(f)[1])
    .text((f) => state.townNames[f.properties.id] || f.properties.name || f.properties.id);
  // a warning issued by town (CAP geocode) covers those towns' outlines; one with polygons, its polygons
  const townShape = new Map(feats.filter((f) => f.properties.kind === 'town').map((f) => [f.properties.id, f]));
  const warnings = mapState.warnings.filter((w) => (w.polygons && w.polygons.length) || (w.towns || []).some((t) => townShape.has(t)));
  const warningPath = (w) => (w.polygons && w.polygons.length ? path(polyFeature(w.polygons)) : (w.towns || []).map((t) => (townShape.has(t) ? path(townShape.get(t)) : '')).join(' '));
  g('warnings').selectAll('path').data(warnings).join('path')
    .attr('d', warningPath).attr('class', (w) => `warning-shape sev-${w.level}${w.status !== 'Actual' ? ' drill' : ''}`)
    .attr('data-warning-id', (w) => w.id).attr('data-level', (w) => w.level)
    .append('title').text((w) => `${w.event}${SEV_ZH[w.level] || ''}预警${w.status !== 'Actual' ? '（演练）' : ''}`);
  const cells = g('cells');
  for (const c of mapState.cells) {
    const cg = cells.append('g').attr('class', `cell${c.hail ? ' hail' : ''}`).attr('data-cell-id', c.cellId).attr('data-dbz', c.reflectivityDbz);
    cg.append('path').attr('d', path(d3.geoCircle().center([c.lon, c.lat]).radius(c.radiusKm / 111.195)())).attr('class', 'cell-shape');
    const [x, y] = proj([c.lon, c.lat]);
    let label = `${c.cellId} ${c.reflectivityDbz} dBZ${c.hail ? ' 冰雹' : ''}`;
    if (c.motion) {
      // where it will be in 30 minutes at its speed
      const rad = (c.motion.bearingDeg * Math.PI) / 180, km = c.motion.speedKmh * 0.5;
      const end = proj([c.lon + (km * Math.sin(rad)) / (111.32 * Math.cos((c.lat * Math.PI) / 180)), c.lat + (km * Math.cos(rad)) / 110.57]);
      cg.append('line').attr('class', 'cell-motion').attr('x1', x).attr('y1', y).attr('x2', end[0]).attr('y2', end[1]).attr('data-bearing', c.motion.bearingDeg);
      label += ` · ${c.motion.speedKmh} km/h`;
    }
    cg.append('text').attr('class', 'cell-label').attr('x', x).attr('y', y - 4).attr('text-anchor', 'middle').text(label);
  }
  const worst = worstAt();
  g('sites').selectAll('circle').data(mapState.sites.filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lon))).join('circle')
    .attr('cx', (s) => proj([s.lon, s.lat])[0]).attr('cy', (s) => proj([s.lon, s.lat])[1]).attr('r', (s) => (worst.has(s.id) ? 8 : 5))
    .attr('class', 'site-dot').attr('data-site-id', (s) => s.id).attr('data-severity', (s) => worst.get(s.id) || 'none').attr('tabindex', 0)
    .on('click', (_ev, s) => showMapSite(s.id))
    .append('title').text((s) => `${s.name}${worst.has(s.id) ? ` · ${SEV_ZH[worst.get(s.id)]}` : ''}`);
  box.replaceChildren(root.node());
  const legend = $('map-legend');
  legend.replaceChildren(el('span', 'lg lg-red', '红'), el('span', 'lg lg-orange', '橙'), el('span', 'lg lg-yellow', '黄'), el('span', 'lg lg-blue', '蓝'), el('span', 'lg lg-none', '无告警'), el('span', 'lg lg-warning', '预警区'), el('span', 'lg lg-cell', '雷达回波'));
  if (mapState.geo.schematic || (mapState.geo.features || []).some((f) => f.properties?.schematic)) legend.append(el('span', 'schematic', '示意边界，非测绘 — schematic outlines'));
  if (mapState.selected) showMapSite(mapState.selected);
}

/** showMapSite: the site's live open alerts, each opening its detail. */
function showMapSite(siteId) {
  mapState.selected = siteId;
  const alerts = [...state.alerts.values()].filter((a) => a.siteId === siteId && a.state !== 'resolved' && !isDrill(a)).sort(compareAlerts);
  const panel = $('map-site');
  panel.dataset.siteId = siteId;
  $('map-site-title').textContent = `${state.siteNames[siteId] || siteId} · ${alerts.length ? `${alerts.length} 条告警` : '无活动告警'}`;
  const ol = $('map-site-alerts');
  ol.replaceChildren();
  for (const a of alerts) {
    const li = el('li', 'map-site-alert');
    li.dataset.alertId = a.id;
    li.dataset.severity = a.severity;
    const t = el('a', 'link', `${SEV_ZH[a.severity] || a.severity} · ${a.title}`);
    t.href = '#';
    t.addEventListener('click', (ev) => { ev.preventDefault(); void openDetail(a); });
    li.append(t);
    ol.append(li);
  }
  panel.hidden = false;
}

function setMap(on) {
  mapState.on = on;
  $('map-btn').setAttribute('aria-pressed', String(on));
  $('map-btn').textContent = on ? '列表 List' : '地图 Map';
  $('map-pane').hidden = !on;
  $('alerts').hidden = on;
  document.body.dataset.view = on ? 'map' : 'list';
  if (on) loadMap().catch((e) => toast(`地图加载失败 Map failed：${e.message}`));
}

function setupDialogs() {
  $('map-btn').addEventListener('click', () => setMap(!mapState.on));
  $('map-site-close').addEventListener('click', () => { mapState.selected = ''; $('map-site').hidden = true; });
  window.addEventListener('resize', () => drawMap());
  $('ledger-btn').addEventListener('click', () => void openLedger());
  $('ledger-close').addEventListener('click', () => $('ledger-dialog').close());
  $('action-cancel').addEventListener('click', () => $('action-dialog').close());
  $('action-submit').addEventListener('click', () => void submitAction());
  $('detail-close').addEventListener('click', () => $('detail-dialog').close());
}

function compareAlerts(a, b) {
  return SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)
    || (Date.parse(b.startsAt) || 0) - (Date.parse(a.startsAt) || 0)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function buildRow(a, fresh) {
  const labels = a.labels || {};
  const drill = labels.drill !== undefined && labels.drill !== 'false';
  const silenced = labels.silenced === 'true';
  const row = el('article', 'alert');
  Object.assign(row.dataset, { alertId: a.id, severity: a.severity, state: a.state, domain: a.domain });
  if (a.town) row.dataset.town = a.town;
  if (a.siteId) row.dataset.siteId = a.siteId;
  row.classList.toggle('drill', drill);
  row.classList.toggle('silenced', silenced);
  row.classList.toggle('fresh', fresh);

  const badge = el('div', 'sev-badge');
  badge.append(el('span', 'sev-name', SEV_ZH[a.severity] || a.severity), el('span', 'sev-level', SEV_LEVEL[a.severity] || ''));

  const body = el('div', 'body');
  const head = el('div', 'head');
  const title = el('h3', 'title link', a.title);
  title.tabIndex = 0;
  title.title = '查看详情 Details';
  title.addEventListener('click', () => void openDetail(a));
  head.append(el('span', 'domain', DOMAINS[a.domain] || a.domain), title);
  if (drill) head.append(el('span', 'tag tag-drill', '演练'));
  if (silenced) head.append(el('span', 'tag tag-silenced', '已静默'));
  // raised from an old event (back-fill, replay): shown for the record, nobody was texted
  if (labels.backfill === 'true') head.append(el('span', 'tag tag-backfill', '补录'));
  if (labels.simulated === 'true') head.append(el('span', 'tag tag-drill', '模拟'));
  if (a.escalation > 0) head.append(el('span', 'tag tag-escalated', `已升级 ×${a.escalation}`));

  const meta = el('div', 'meta');
  meta.append(el('span', 'town', townName(a.town)));
  if (a.siteId) {
    const site = el('span', 'site');
    const name = state.siteNames[a.siteId];
    if (name) site.append(el('span', 'site-name', name), ' ');
    site.append(el('code', 'site-id', a.siteId));
    meta.append(site);
  }
  if (typeof a.value === 'number') {
    const unit = labels.unit ? ` ${labels.unit}` : '';
    const v = el('span', 'value');
    // the value that made the alert (it changes only with its level); the detail draws the latest readings
    v.append('触发值 ', el('b', null, fmtNum(a.value) + unit));
    if (typeof a.threshold === 'number') v.append(' / 阈值 ', el('b', null, fmtNum(a.threshold) + unit));
    meta.append(v);
  }
  body.append(head, meta);
  if (a.summary) body.append(el('p', 'summary', a.summary));
  if (Array.isArray(a.actions) && a.actions.length) {
    // Rule packs list actions for every level, each starting with its colour ("红色：…"): show
    // the unprefixed ones and those of this alert's colour; the rest only as a count.
    const colour = (x) => /^(红色|橙色|黄色|蓝色)/.exec(x)?.[1];
    // a level raised in a special period keeps the actions of the level that was crossed
    const crossed = SEV_ZH[labels.raisedFrom] || SEV_ZH[a.severity];
    const own = a.actions.filter((x) => !colour(x) || colour(x) === crossed);
    const shown = own.length ? own : a.actions;
    const list = el('ol', 'actions');
    for (const x of shown) list.append(el('li', null, x));
    if (shown.length < a.actions.length) list.append(el('li', 'more', `另有 ${a.actions.length - shown.length} 条其他级别措施`));
    body.append(list);
  }

  const side = el('div', 'aside');
  const starts = el('time', 'starts', fmtTime(a.startsAt));
  starts.dateTime = a.startsAt;
  const st = el('div', 'state', STATE_ZH[a.state] || a.state);
  st.append(el('small', null, STATE_EN[a.state] || ''));
  side.append(starts, st);
  const lastAck = Array.isArray(a.acks) && a.acks.length ? a.acks[a.acks.length - 1] : null;
  if (a.state === 'acknowledged' && lastAck) side.append(el('div', 'acked-by', `${lastAck.by} · ${fmtTime(lastAck.at)}`));
  // the company's word that it carried out the actions (or that it is overdue)
  if (labels.confirmedAt) side.append(el('div', 'confirmed', `企业已反馈 · ${fmtTime(labels.confirmedAt)}`));
  else if (labels.confirmOverdue === 'true') side.append(el('div', 'confirm-overdue', '企业未反馈'));
  if (state.canAck && a.state !== 'resolved') {
    const acts = el('div', 'actions-row');
    const button = (cls, text, kind) => {
      const b = el('button', cls, text);
      b.type = 'button';
      b.addEventListener('click', () => openAction(kind, a));
      acts.append(b);
      return b;
    };
    if (a.state === 'firing') {
      const pending = state.acking.has(a.id);
      const btn = button('ack-btn', pending ? '确认中…' : '确认 Acknowledge', 'ack');
      btn.disabled = pending;
    }
    button('act-btn resolve-btn', '解除', 'resolve');
    if (a.siteId) button('act-btn confirm-btn', '企业反馈', 'confirm');
    if (!silenced) button('act-btn silence-btn', '静默', 'silence');
    side.append(acts);
  }
  row.append(badge, body, side);
  return row;
}

/**
 * incidentKey: alerts that belong together show as one card — every site one weather warning
 * (its chain: updates included) or one radar cell reaches, or every alert of one site.
 */
function incidentKey(a) {
  const l = a.labels || {};
  if (a.domain === 'weather' && (l.warningRoot || l.warningId)) return `w:${l.warningRoot || l.warningId}`;
  if (a.domain === 'weather' && l.cellId) return `c:${l.cellId}`;
  if (a.siteId) return `s:${a.siteId}`;
  return `a:${a.id}`;
}

/** incidents groups the (sorted) live alerts; incidents sort by their worst alert, as alerts do. */
function incidents(sorted) {
  const byKey = new Map();
  for (const a of sorted) {
    const k = incidentKey(a);
    let inc = byKey.get(k);
    if (!inc) byKey.set(k, (inc = { key: k, members: [] }));
    inc.members.push(a);
  }
  // members are already sorted (worst first): the first is the incident's worst
  return [...byKey.values()].sort((x, y) => compareAlerts(x.members[0], y.members[0]));
}

const countsText = (entries) => entries.map(([k, n]) => `${k} ${n}`).join('、');

function tally(list, keyOf) {
  const m = new Map();
  for (const x of list) { const k = keyOf(x); m.set(k, (m.get(k) || 0) + 1); }
  return [...m.entries()].sort((x, y) => y[1] - x[1]);
}

/** incidentHeadline: "雷雨大风橙色预警（特殊时期按红色响应）影响 14 处" / "雷达回波 cell-7 影响 3 处" / "上海庙示范一号煤矿 3 条告警". */
function incidentHeadline(inc) {
  const [worst] = inc.members;
  const l = worst.labels || {};
  const sites = new Set(inc.members.map((a) => a.siteId).filter(Boolean)).size;
  if (inc.key.startsWith('w:')) {
    const special = inc.members.some((a) => a.labels?.specialPeriod) ? `（特殊时期按${SEV_ZH[worst.severity]}响应）` : '';
    const level = l.warningLevel ? `${SEV_ZH[l.warningLevel] || ''}` : '';
    return `${l.warningEvent || '气象'}${level}预警${special}影响 ${sites} 处`;
  }
  if (inc.key.startsWith('c:')) return `雷达回波 ${l.cellId} 影响 ${sites} 处`;
  return `${state.siteNames[worst.siteId] || worst.siteId} ${inc.members.length} 条告警`;
}

function incidentBreakdown(inc) {
  if (inc.key.startsWith('s:')) return countsText(tally(inc.members, (a) => SEV_ZH[a.severity] || a.severity));
  const perSite = new Map(inc.members.map((a) => [a.siteId, a]));
  return countsText(tally([...perSite.keys()], (id) => SITE_KIND_ZH[state.siteKinds[id]] || state.siteKinds[id] || '其他'));
}

/** expandedOf: as the operator chose; folded until then (the wall shows incidents, not rows). */
const expandedOf = (inc) => state.toggled.get(inc.key) === true;

function buildCard(inc) {
  const [worst] = inc.members;
  const open = inc.members.filter((a) => a.state !== 'resolved');
  const firing = open.filter((a) => a.state === 'firing');
  const expanded = expandedOf(inc);
  const card = el('article', 'alert incident');
  Object.assign(card.dataset, { incident: inc.key, severity: worst.severity, count: String(inc.members.length), kind: inc.key[0], state: firing.length ? 'firing' : open.length ? 'acknowledged' : 'resolved' });
  card.classList.toggle('expanded', expanded);
  const badge = el('div', 'sev-badge');
  badge.append(el('span', 'sev-name', SEV_ZH[worst.severity] || worst.severity), el('span', 'sev-level', SEV_LEVEL[worst.severity] || ''), el('span', 'inc-count', `${inc.members.length} 条`));
  const body = el('div', 'body');
  const head = el('div', 'head');
  head.append(el('span', 'domain', inc.key.startsWith('s:') ? '场所' : '事件'), el('h3', 'title inc-title', `${incidentHeadline(inc)}：${incidentBreakdown(inc)}`));
  const meta = el('div', 'meta');
  meta.append(el('span', 'town', [...new Set(inc.members.map((a) => townName(a.town)))].join('、')));
  meta.append(el('span', 'worst', `最高：${worst.title}`));
  if (firing.length) meta.append(el('span', 'unacked', `待确认 ${firing.length}`));
  body.append(head, meta);
  const members = el('div', 'members');
  members.hidden = !expanded;
  body.append(members);
  const side = el('div', 'aside');
  const starts = el('time', 'starts', fmtTime(inc.members.reduce((m, a) => (a.startsAt < m ? a.startsAt : m), worst.startsAt)));
  side.append(starts);
  const acts = el('div', 'actions-row');
  const toggle = el('button', 'act-btn expand-btn', expanded ? '收起' : `展开 ${inc.members.length} 条`);
  toggle.type = 'button';
  toggle.addEventListener('click', () => {
    state.toggled.set(inc.key, !expanded);
    render();
  });
  acts.append(toggle);
  if (state.canAck && firing.length) {
    const all = el('button', 'ack-btn ack-all-btn', `全部确认 (${firing.length})`);
    all.type = 'button';
    all.disabled = firing.some((a) => state.acking.has(a.id));
    all.addEventListener('click', () => openAction('ack', firing[0], firing));
    acts.append(all);
  }
  side.append(acts);
  card.append(badge, body, side);
  return { el: card, members };
}

/** the alert's own part of a row's signature, once per alert object (a frame brings a new object) */
const alertSigs = new WeakMap();
function alertSig(a) {
  let s = alertSigs.get(a);
  if (s === undefined) alertSigs.set(a, (s = JSON.stringify(a)));
  return s;
}

function rowFor(a, force) {
  const sig = `${alertSig(a)}|${state.canAck}|${state.acking.has(a.id)}|${state.siteNames[a.siteId] || ''}`;
  let r = rows.get(a.id);
  if (!r || force || r.sig !== sig) {
    const node = buildRow(a, !r && state.synced && a.state !== 'resolved');
    if (r) r.el.replaceWith(node);
    r = { el: node, sig };
    rows.set(a.id, r);
  }
  return r.el;
}

function cardFor(inc, force) {
  const memberRows = inc.members.map((a) => rowFor(a, force));
  const sig = `${inc.members.map((a) => rows.get(a.id).sig).join('\n')}|${expandedOf(inc)}|${state.siteKinds[inc.members[0].siteId] || ''}`;
  let c = cards.get(inc.key);
  if (!c || force || c.sig !== sig) {
    const built = buildCard(inc);
    if (c) c.el.replaceWith(built.el);
    c = { el: built.el, members: built.members, sig };
    cards.set(inc.key, c);
  }
  if (expandedOf(inc)) place(c.members, memberRows);
  return c.el;
}

/** place puts `nodes` in `list` in order, moving what is there and removing what is not. */
function place(list, nodes) {
  let prev = null;
  for (const n of nodes) {
    const want = prev ? prev.nextSibling : list.firstChild;
    if (want !== n) list.insertBefore(n, want);
    prev = n;
  }
  for (let x = prev ? prev.nextSibling : list.firstChild; x; ) {
    const next = x.nextSibling;
    x.remove();
    x = next;
  }
}

function render(force = false) {
  const sorted = [...state.alerts.values()].sort(compareAlerts);
  for (const [id, r] of rows) if (!state.alerts.has(id)) { r.el.remove(); rows.delete(id); }
  const live = [], drillList = [];
  for (const a of sorted) (isDrill(a) ? drillList : live).push(a);
  const incs = incidents(live);
  const keys = new Set(incs.map((i) => i.key));
  for (const [k, c] of cards) if (!keys.has(k)) { c.el.remove(); cards.delete(k); }
  for (const k of state.toggled.keys()) if (!keys.has(k)) state.toggled.delete(k);
  let shown = incs;
  if (state.wall) {
    // the wall shows a page of incidents, most severe first, and turns pages when there are more
    state.wallPages = Math.max(1, Math.ceil(incs.length / WALL_PAGE));
    if (state.wallPage >= state.wallPages) state.wallPage = 0;
    shown = incs.slice(state.wallPage * WALL_PAGE, (state.wallPage + 1) * WALL_PAGE);
    const pg = $('wall-page');
    pg.hidden = state.wallPages <= 1;
    pg.textContent = `第 ${state.wallPage + 1}/${state.wallPages} 页`;
    Object.assign(pg.dataset, { page: String(state.wallPage + 1), pages: String(state.wallPages) });
  }
  else if (incs.length > LIST_MAX) shown = incs.slice(0, LIST_MAX);
  $('list-more').hidden = state.wall || incs.length <= LIST_MAX;
  $('list-more').textContent = `另有 ${incs.length - LIST_MAX} 起较低级别事件未显示（共 ${incs.length} 起）— ${incs.length - LIST_MAX} more incidents not drawn`;
  const incPill = $('count-incidents');
  incPill.hidden = incs.length === 0;
  incPill.textContent = `${incs.length} 起事件`;
  place($('alerts'), shown.map((inc) => (inc.members.length === 1 ? rowFor(inc.members[0], force) : cardFor(inc, force))));
  place($('drills'), drillList.map((a) => rowFor(a, force)));
  if (state.lastSeq !== undefined) $('alerts').dataset.seq = String(state.lastSeq); // hook: a snapshot has arrived
  const open = sorted.filter((a) => a.state !== 'resolved');
  // drills (Exercise/Test) have their own lane and are never counted in the live tiles
  const active = open.filter((a) => !isDrill(a));
  const drills = open.length - active.length;
  $('no-alerts').hidden = active.length > 0;
  $('count-drills').textContent = String(drills);
  $('no-drills').hidden = drills > 0;
  renderCounts(active);
  renderRecent();
  alarmCheck();
  if (mapState.on && !mapState.frame) mapState.frame = requestAnimationFrame(() => { mapState.frame = 0; drawMap(); });
}

function countList(ul, entries, attr) {
  ul.replaceChildren();
  for (const { key, label, n, max } of entries) {
    const li = el('li', n ? 'nonzero' : 'zero');
    li.dataset[attr] = key;
    if (max) li.dataset.maxSeverity = max;
    li.append(el('span', 'name', label), el('span', 'n', n));
    ul.append(li);
  }
}

function renderCounts(active) {
  const bySev = {}, byDomain = {}, byTown = {}, maxDomain = {}, maxTown = {};
  const worse = (cur, s) => (!cur || SEVERITIES.indexOf(s) < SEVERITIES.indexOf(cur) ? s : cur);
  for (const a of active) {
    const t = a.town || '';
    bySev[a.severity] = (bySev[a.severity] || 0) + 1;
    byDomain[a.domain] = (byDomain[a.domain] || 0) + 1;
    byTown[t] = (byTown[t] || 0) + 1;
    maxDomain[a.domain] = worse(maxDomain[a.domain], a.severity);
    maxTown[t] = worse(maxTown[t], a.severity);
  }
  for (const tile of document.querySelectorAll('#counts-severity .tile[data-severity]')) {
    const n = bySev[tile.dataset.severity] || 0;
    tile.querySelector('.n').textContent = String(n);
    tile.classList.toggle('zero', n === 0);
  }
  const unacked = active.filter((a) => a.state === 'firing').length;
  $('count-unacked').textContent = String(unacked);
  $('count-unacked').parentElement.classList.toggle('zero', unacked === 0);
  $('count-active').textContent = String(active.length);
  countList($('counts-domain'), Object.entries(DOMAINS).map(([key, zh]) => ({ key, label: zh, n: byDomain[key] || 0, max: maxDomain[key] })), 'domain');
  const towns = Array.isArray(state.info?.towns) ? [...state.info.towns] : Object.keys(state.townNames);
  for (const t of Object.keys(byTown)) if (t && !towns.includes(t)) towns.push(t);
  if (byTown['']) towns.push('');
  countList($('counts-town'), towns.map((key) => ({ key: key || 'none', label: townName(key), n: byTown[key] || 0, max: maxTown[key] })), 'town');
}

function renderRecent() {
  const ul = $('resolved');
  ul.replaceChildren();
  for (const { alert: a, at } of state.recent) {
    const li = el('li', 'resolved-item');
    Object.assign(li.dataset, { alertId: a.id, severity: a.severity, state: 'resolved' });
    li.append(el('span', 'sev-dot'), el('span', 'r-title', a.title), el('span', 'r-town', townName(a.town)), el('time', 'r-at', fmtTime(a.endsAt || new Date(at).toISOString())));
    ul.append(li);
  }
  $('no-resolved').hidden = state.recent.length > 0;
}

function retire(id) {
  const a = state.alerts.get(id);
  state.alerts.delete(id);
  state.resolvedAt.delete(id);
  if (!a) return;
  state.recent = [{ alert: a, at: Date.now() }, ...state.recent.filter((r) => r.alert.id !== id)].slice(0, RECENT_MAX);
}

function upsert(a) {
  if (!a || !a.id) return;
  const before = state.alerts.get(a.id);
  state.alerts.set(a.id, a);
  if (!before || before.severity !== 'red') alarmFor(a);
  // the alarm does not wait for a drawn frame: a tab in the background draws nothing but still sounds
  if (sound.alarming.size) alarmCheck();
  if (a.state === 'resolved') { if (!state.resolvedAt.has(a.id)) state.resolvedAt.set(a.id, Date.now()); }
  else state.resolvedAt.delete(a.id);
  scheduleRender();
}

/** scheduleRender: a storm of frames is drawn once per animation frame, not once per frame received. */
let renderPending = 0;
function scheduleRender() {
  if (renderPending) return;
  renderPending = requestAnimationFrame(() => { renderPending = 0; render(); });
}

function setConn(s, text) {
  $('conn').dataset.state = document.body.dataset.conn = s;
  $('conn').querySelector('.txt').textContent = text;
}

/** expired: the token no longer opens anything; stop reconnecting and say so plainly, all night if need be. */
function expired() {
  state.expired = true;
  clearTimeout(state.retryTimer);
  state.retryAt = 0;
  drop();
  document.body.dataset.expired = 'true';
  $('expiry-banner').hidden = true;
  setConn('closed', '登录已过期');
  showError(EXPIRED_TEXT);
  // a person who signed in on the login page signs in again there; a wall screen opened with
  // /?token=… keeps saying so (its link must be renewed)
  if (!state.tokenFromUrl) {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* storage disabled */ }
    showLogin('登录已过期，请粘贴新的令牌 — Session expired: paste a new token');
  }
}

/** closedBeforeOpen: the upgrade was refused or the server is down; ask /api/v1/info which (401: expired). */
async function closedBeforeOpen() {
  try {
    await api('/api/v1/info');
  } catch (e) {
    if (e.status === 401) return expired();
  }
  scheduleReconnect();
}

function connect() {
  clearTimeout(state.retryTimer);
  if (state.expired) return;
  if (state.expiresAt && Date.now() >= state.expiresAt) return expired();
  setConn('connecting', state.everConnected ? '正在重连…' : '正在连接…');
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  let ws;
  try { ws = new WebSocket(`${proto}://${location.host}/ws?token=${encodeURIComponent(state.token)}`); } catch { scheduleReconnect(); return; }
  Object.assign(state, { ws, lastFrameAt: Date.now() });
  let opened = false;
  ws.onopen = () => {
    if (state.ws !== ws) return;
    opened = true;
    const sub = { type: 'subscribe' };
    if (state.lastSeq !== undefined) sub.since = state.lastSeq;
    ws.send(JSON.stringify(sub));
    state.everConnected = true;
    setConn('open', '已连接');
  };
  ws.onmessage = (ev) => {
    if (state.ws !== ws) return;
    state.lastFrameAt = Date.now();
    let f;
    try { f = JSON.parse(ev.data); } catch { return; }
    if (f && typeof f === 'object') onFrame(f);
  };
  ws.onclose = (ev) => {
    if (state.ws !== ws) return;
    state.ws = null;
    if (ev.code === 4401) expired(); // the server closed it: the token expired
    else if (!opened) void closedBeforeOpen();
    else scheduleReconnect();
  };
  ws.onerror = () => { /* a close event follows */ };
}

/** drop abandons the current socket without waiting for a close handshake that may never come. */
function drop() {
  const ws = state.ws;
  if (!ws) return;
  state.ws = null;
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  try { ws.close(4000, 'heartbeat timeout'); } catch { /* already closed */ }
}

function scheduleReconnect() {
  clearTimeout(state.retryTimer);
  if (state.expired) return;
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** state.attempt);
  state.attempt = Math.min(state.attempt + 1, 10);
  const delay = Math.min(BACKOFF_MAX_MS, Math.round(base * (0.75 + Math.random() * 0.5)));
  state.retryAt = Date.now() + delay;
  state.retryTimer = setTimeout(connect, delay);
  updateRetryText();
}

function updateRetryText() {
  if (state.ws || !state.retryAt) return;
  const s = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
  setConn('closed', `已断开 · ${s} 秒后重连`);
}

function onFrame(f) {
  state.attempt = 0; // the server is talking to us: reset the backoff
  if (f.type === 'snapshot') {
    for (const id of [...state.resolvedAt.keys()]) retire(id);
    state.alerts = new Map();
    for (const a of Array.isArray(f.alerts) ? f.alerts : []) if (a && a.id && a.state !== 'resolved') state.alerts.set(a.id, a);
    if (typeof f.seq === 'number') state.lastSeq = f.seq;
    if (f.demo) showDemo();
    render();
    state.synced = true;
    alarmAllWaiting(); // a fresh snapshot (reconnect): what waits for acknowledgement still sounds
    alarmCheck();
  } else if (f.type === 'alert') {
    if (typeof f.seq !== 'number' || (state.lastSeq !== undefined && f.seq <= state.lastSeq)) return;
    state.lastSeq = f.seq;
    upsert(f.alert);
  } else if (f.type === 'error') {
    toast(`服务器错误 ${f.code || ''}：${f.message || ''}`);
  } else if (f.type === 'report' && typeof f.text === 'string') {
    toast(f.text); // the daily duty report (值班日报)
  } // heartbeat: nothing more to do, lastFrameAt is already updated
}

function tick() {
  const now = new Date();
  $('clock').textContent = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  $('date').textContent = now.toLocaleDateString('zh-CN', { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
  const t = now.getTime();
  let changed = false;
  for (const [id, at] of state.resolvedAt) if (t - at >= RESOLVED_FADE_MS) { retire(id); changed = true; }
  if (state.wall && state.wallPages > 1 && t - state.wallTurnedAt >= WALL_ROTATE_MS) {
    state.wallTurnedAt = t;
    state.wallPage = (state.wallPage + 1) % state.wallPages;
    changed = true;
  }
  if (changed) render();
  if (mapState.on && t - mapState.loadedAt >= MAP_REFRESH_MS) { mapState.loadedAt = t; loadMap().catch(() => {}); }
  if (state.ws && t - state.lastFrameAt > HEARTBEAT_DEAD_MS) { drop(); scheduleReconnect(); }
  updateRetryText();
  updateExpiry(t);
}

/** updateExpiry warns within the last hour of the token's life, and ends the session when it is over. */
function updateExpiry(t) {
  if (!state.expiresAt || state.expired) return;
  if (t >= state.expiresAt) return expired();
  const left = state.expiresAt - t;
  const banner = $('expiry-banner');
  if (left > EXPIRY_WARN_MS) { banner.hidden = true; return; }
  const at = new Date(state.expiresAt);
  const text = `令牌将于 ${pad(at.getHours())}:${pad(at.getMinutes())} 过期（剩余 ${Math.ceil(left / 60_000)} 分钟），请及时更换 — Token expires soon`;
  if (banner.textContent !== text) banner.textContent = text;
  banner.hidden = false;
}

function setWall(on) {
  state.wall = on;
  state.wallTurnedAt = Date.now();
  document.documentElement.classList.toggle('wall', on);
  document.body.classList.toggle('wall', on);
  render(true);
}

function main() {
  state.token = readToken();
  if (new URLSearchParams(location.search).get('wall') === '1') setWall(true);
  if (new URLSearchParams(location.search).get('view') === 'map') queueMicrotask(() => setMap(true));
  setupDialogs();
  setupSound();
  tick();
  setInterval(tick, 1000);
  render();
  window.addEventListener('online', () => { if (state.token && !state.ws) connect(); });
  if (!state.token) {
    showLogin();
    return;
  }
  loadInfo();
  connect();
}

/**
 * showLogin: no token in the address bar or this tab: a form to paste one. The token is checked
 * with /api/v1/info before it is kept (sessionStorage, as a /?token=… link keeps it), then the
 * dashboard starts as if opened with it.
 */
let loginWired = false;
function showLogin(message = '') {
  if (!state.expired) setConn('closed', '未登录');
  document.body.dataset.login = 'true';
  $('login').hidden = false;
  const form = $('login-form');
  const input = $('login-token');
  const err = $('login-error');
  Object.assign(err, { textContent: message, hidden: !message });
  input.focus();
  if (loginWired) return;
  loginWired = true;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = input.value.trim().replace(/^Bearer\s+/i, '');
    const fail = (msg) => Object.assign(err, { textContent: msg, hidden: false });
    if (!token) return fail('请粘贴令牌 — Paste a token');
    $('login-submit').disabled = true;
    try {
      const res = await fetch('/api/v1/info', { headers: { Accept: 'application/json', Authorization: `Bearer ${token}` }, cache: 'no-store' });
      if (res.status === 401) return fail('令牌无效或已过期 — The token is not valid or has expired');
      if (!res.ok) return fail(`无法登录（HTTP ${res.status}）— Cannot sign in`);
    } catch {
      return fail('无法连接服务器 — Cannot reach the server');
    } finally {
      $('login-submit').disabled = false;
    }
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch { /* storage disabled: this page only */ }
    state.token = token;
    state.tokenFromUrl = false;
    state.expired = false;
    state.expiresAt = 0; // the old token's; /api/v1/info gives the new one's
    delete document.body.dataset.expired;
    showError('');
    input.value = '';
    err.hidden = true;
    $('login').hidden = true;
    delete document.body.dataset.login;
    loadInfo();
    connect();
  });
}

main();
