import { ApiError, session } from '../api';
import { MetricChart, toChartData, type ChartData } from '../charts';
import { esc, keepingFocus, plural, setMain } from '../dom';
import { ICONS } from '../icons';
import { reportCreatedText, reportWindowText } from '../report-window';
import { lateCheckWindow, minutesOutOfStep, withSpanReplaced } from '../late-readings';
import {
  createReport,
  DEVICE_NAME_MAX,
  DEVICE_TYPES,
  getSeries,
  listAlerts,
  listDevices,
  listReports,
  registerDevice,
  type AlertView,
  type DeviceType,
  type DeviceView,
  type MetricSpec,
  type ReportView,
} from '../iot-api';
import type { RouteContext } from '../main';

/**
 * The IoT dashboard (issue 9, part 5): devices with their status and latest values, one chart per metric
 * over a chosen window, refreshed live; alerts as the rollup raises them; for admins, device registration
 * (the secret is shown once) and CSV reports.
 *
 * The page state lives in the address (`?device=…&window=…`), so a view can be shared or reloaded. Every
 * poll stops when the person navigates away (the route's AbortSignal).
 */
const REFRESH_MS = 3000;
/** A full reload of a live raw series now and then keeps it identical to the server's view. */
const FULL_RELOAD_MS = 60_000;
const OVERLAP_MS = 120_000;

const WINDOWS = [
  { key: '15m', label: '15 min', ms: 15 * 60_000 },
  { key: '1h', label: '1 hour', ms: 3600_000 },
  { key: '6h', label: '6 hours', ms: 6 * 3600_000 },
  { key: '24h', label: '24 hours', ms: 86400_000 },
  { key: '7d', label: '7 days', ms: 7 * 86400_000 },
  { key: '30d', label: '30 days', ms: 30 * 86400_000 },
] as const;
type WindowKey = (typeof WINDOWS)[number]['key'];

interface MetricView {
  metric: string;
  spec: MetricSpec;
  chart: MetricChart;
  card: HTMLElement;
  data?: ChartData;
  loadedAt: number;
}

export async function renderIotDashboard(ctx: RouteContext): Promise<void> {
  const user = session();
  if (!user) {
    setMain(`<section class="empty sign-in-prompt" data-testid="sign-in-prompt">${ICONS.info}<h1>IoT dashboard</h1><p>Sign in to see your devices, their live readings and alerts.</p><a class="button-link" href="/sign-in?next=${encodeURIComponent('/iot' + location.search)}" data-link>Sign in</a></section>`);
    return;
  }
  const admin = user.role === 'admin';
  const main = setMain(`<section class="page-head"><h1>IoT dashboard</h1><p class="muted">Devices post signed readings; they are stored within seconds, rolled up and checked for anomalies every minute. This page refreshes by itself.</p></section>
  <div class="iot-layout">
    <section class="panel iot-devices" aria-labelledby="devices-heading">
      <div class="panel-head"><h2 id="devices-heading">Devices</h2><span class="muted small" data-testid="device-count"></span></div>
      <ul class="device-list" data-testid="device-list" aria-busy="true"></ul>
      ${admin ? registerForm() : ''}
    </section>
    <section class="panel iot-main" aria-labelledby="device-heading">
      <div class="device-head" data-testid="device-head"><h2 id="device-heading">Readings</h2></div>
      <div class="window-picker" role="group" aria-label="Time window">${WINDOWS.map((w) => `<button type="button" class="chip" data-window="${w.key}" aria-pressed="false">${w.label}</button>`).join('')}</div>
      <p class="muted small series-info" role="status" data-testid="series-info"></p>
      <div class="charts" data-testid="charts"></div>
    </section>
    <section class="panel iot-alerts" aria-labelledby="alerts-heading">
      <div class="panel-head"><h2 id="alerts-heading">Alerts <span class="muted small">last 24 hours</span></h2>
        <label class="small toggle"><input type="checkbox" id="alerts-mine" /> this device only</label></div>
      <ul class="alert-list" data-testid="alert-list" aria-live="polite"></ul>
    </section>
    ${admin ? reportsPanel() : ''}
  </div>`);

  const state = new Dashboard(main, ctx);
  if (admin) {
    wireRegisterForm(main, (device) => void state.onRegistered(device));
    new Reports(main, ctx.signal).start();
  }
  await state.start();
}

function registerForm(): string {
  const options = Object.entries(DEVICE_TYPES).map(([type, spec]) => `<option value="${esc(type)}">${esc(spec.label)}</option>`).join('');
  return `<details class="register" data-testid="register">
    <summary>Register a device</summary>
    <form id="register-form" class="stacked-form" novalidate>
      <label for="device-name">Name</label>
      <input id="device-name" name="name" placeholder="Greenhouse 3" required />
      <label for="device-type">Type</label>
      <select id="device-type" name="type">${options}</select>
      <p class="error" role="alert" hidden></p>
      <button class="primary" type="submit">Register</button>
    </form>
    <div class="secret-box" data-testid="new-secret" hidden></div>
  </details>`;
}

function reportsPanel(): string {
  return `<section class="panel iot-reports" aria-labelledby="reports-heading">
    <h2 id="reports-heading">Reports</h2>
    <p class="muted small">A CSV of every device metric over a window: readings, minimum, maximum, average and alerts. A daily report of the previous day is written each night.</p>
    <form id="report-form" class="report-form" data-testid="report-form" novalidate>
      <label>From <input type="datetime-local" name="from" required /></label>
      <label>To <input type="datetime-local" name="to" required /></label>
      <button class="secondary" type="submit">Create report</button>
    </form>
    <p class="error" role="alert" data-testid="report-error" hidden></p>
    <ul class="report-list" data-testid="report-list"></ul>
  </section>`;
}

class Dashboard {
  private devices: DeviceView[] = [];
  private selected: string | undefined;
  private window: WindowKey;
  private metrics: MetricView[] = [];
  private seriesFor = '';
  private readonly list: HTMLUListElement;
  private readonly charts: HTMLElement;
  private readonly info: HTMLElement;
  private readonly alerts: HTMLUListElement;
  private readonly mine: HTMLInputElement;
  private knownAlerts = new Set<string>();

  constructor(
    private readonly main: HTMLElement,
    private readonly ctx: RouteContext,
  ) {
    this.list = main.querySelector('[data-testid=device-list]')!;
    this.charts = main.querySelector('[data-testid=charts]')!;
    this.info = main.querySelector('[data-testid=series-info]')!;
    this.alerts = main.querySelector('[data-testid=alert-list]')!;
    this.mine = main.querySelector('#alerts-mine')!;
    this.selected = ctx.query.get('device') ?? undefined;
    const w = ctx.query.get('window');
    this.window = WINDOWS.some((x) => x.key === w) ? (w as WindowKey) : '1h';
    main.querySelectorAll<HTMLButtonElement>('[data-window]').forEach((button) =>
      button.addEventListener('click', () => {
        this.window = button.dataset.window as WindowKey;
        this.remember();
        void this.refreshSeries(true);
      }),
    );
    this.list.addEventListener('click', (event) => {
      const item = (event.target as HTMLElement).closest<HTMLElement>('[data-device-id]');
      if (item) this.select(item.dataset.deviceId!);
    });
    this.alerts.addEventListener('click', (event) => {
      const item = (event.target as HTMLElement).closest<HTMLElement>('[data-alert-device]');
      if (item) this.select(item.dataset.alertDevice!);
    });
    this.mine.addEventListener('change', () => void this.refreshAlerts());
    ctx.signal.addEventListener('abort', () => this.metrics.forEach((m) => m.chart.destroy()));
  }

  async start(): Promise<void> {
    await this.refreshDevices();
    await Promise.all([this.refreshSeries(true), this.refreshAlerts()]);
    void this.loop();
  }

  async onRegistered(device: { deviceId: string }): Promise<void> {
    this.selected = device.deviceId;
    this.remember();
    await this.refreshDevices();
    await this.refreshSeries(true);
  }

  private async loop(): Promise<void> {
    while (!this.ctx.signal.aborted) {
      await sleep(REFRESH_MS, this.ctx.signal);
      if (this.ctx.signal.aborted || document.hidden) continue;
      try {
        await this.refreshDevices();
        await Promise.all([this.refreshSeries(false), this.refreshAlerts()]);
      } catch (err) {
        if (!this.ctx.signal.aborted) this.info.textContent = `Could not refresh: ${(err as Error).message}. Retrying…`;
      }
    }
  }

  private select(deviceId: string): void {
    if (deviceId === this.selected) return;
    this.selected = deviceId;
    this.remember();
    this.renderDevices();
    void this.refreshSeries(true);
    if (this.mine.checked) void this.refreshAlerts();
  }

  private remember(): void {
    const query = new URLSearchParams(location.search);
    if (this.selected) query.set('device', this.selected);
    query.set('window', this.window);
    history.replaceState(history.state, '', `${location.pathname}?${query}`);
  }

  private async refreshDevices(): Promise<void> {
    this.devices = await listDevices(this.ctx.signal);
    if (!this.selected || !this.devices.some((d) => d.deviceId === this.selected)) {
      this.selected = (this.devices.find((d) => d.status === 'online') ?? this.devices[0])?.deviceId;
    }
    this.renderDevices();
  }

  private renderDevices(): void {
    const count = this.main.querySelector<HTMLElement>('[data-testid=device-count]')!;
    count.textContent = this.devices.length ? `${this.devices.filter((d) => d.status === 'online').length} of ${plural(this.devices.length, 'device')} online` : '';
    this.list.removeAttribute('aria-busy');
    if (!this.devices.length) {
      this.list.innerHTML = `<li class="muted small empty-note">No devices yet. ${session()?.role === 'admin' ? 'Register one below, or' : 'Ask an admin to register one, or'} run <code>npm run simulate:iot -- --devices 10 --rate 100</code>.</li>`;
      return;
    }
    // Drawn anew on every refresh: the focused device keeps the focus (by its id), or Tab starts over at the top.
    const html = this.devices
      .map((d) => {
        const current = d.deviceId === this.selected;
        const values = Object.entries(d.latest)
          .map(([metric, v]) => formatValue(v.value, spec(d.type, metric)))
          .join(' · ');
        return `<li><button type="button" class="device-item${current ? ' current' : ''}" id="device-item-${esc(d.deviceId)}" data-device-id="${esc(d.deviceId)}" aria-pressed="${current}">
          <span class="device-line"><span class="dot ${d.status}" aria-hidden="true"></span><span class="device-name" title="${esc(d.name)}">${esc(d.name)}</span><span class="device-type">${esc(DEVICE_TYPES[d.type].label)}</span></span>
          <span class="device-values small">${values ? esc(values) : '<span class="muted">no readings yet</span>'}</span>
          ${d.lastSeenAt ? `<span class="muted small">${statusText(d)}</span>` : ''}
        </button></li>`;
      })
      .join('');
    keepingFocus(() => (this.list.innerHTML = html));
  }

  private async refreshSeries(reset: boolean): Promise<void> {
    this.main.querySelectorAll<HTMLButtonElement>('[data-window]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.window === this.window)));
    const device = this.devices.find((d) => d.deviceId === this.selected);
    this.renderHead(device);
    if (!device) {
      this.metrics.forEach((m) => m.chart.destroy());
      this.metrics = [];
      this.charts.innerHTML = '';
      this.info.textContent = '';
      return;
    }
    const key = `${device.deviceId}|${this.window}`;
    if (reset || key !== this.seriesFor) this.buildCharts(device);
    this.seriesFor = key;
    const span = WINDOWS.find((w) => w.key === this.window)!.ms;
    const to = Date.now();
    const from = to - span;
    const now = Date.now();
    await Promise.all(
      this.metrics.map(async (m) => {
        const incremental = m.data?.resolution === 'raw' && now - m.loadedAt < FULL_RELOAD_MS && m.data.ts.length > 0;
        // A refresh re-reads the last two minutes too, so a reading that arrived a little late still shows up.
        const since = incremental ? Math.max(from, m.data!.ts[m.data!.ts.length - 1]! - OVERLAP_MS) : from;
        // Older late readings (a device's buffer): the minutes before that are checked by their counts (D136).
        const check = incremental ? lateCheckWindow(from, since) : undefined;
        try {
          const [series, counts] = await Promise.all([
            getSeries(device.deviceId, m.metric, since, to, this.ctx.signal),
            check ? getSeries(device.deviceId, m.metric, check.from, check.to, this.ctx.signal, '1m') : undefined,
          ]);
          const fresh = toChartData(series);
          const stale = incremental && check && counts?.resolution === '1m' ? minutesOutOfStep(m.data!.ts, counts.points, check) : [];
          if (stale.length) {
            // Late readings in the part not re-read: those minutes read again (one span: usually one minute or a few).
            const span = { from: stale[0]!, to: stale[stale.length - 1]! + 60_000 };
            const read = toChartData(await getSeries(device.deviceId, m.metric, span.from, span.to, this.ctx.signal, 'raw'));
            m.data = { resolution: 'raw', ...withSpanReplaced(m.data!, span, read) };
          }
          if (incremental && fresh.resolution === 'raw') {
            const old = m.data!;
            const keep = old.ts.findIndex((t) => t >= from);
            const cut = old.ts.findIndex((t) => t >= since);
            const start = keep < 0 ? old.ts.length : keep;
            const end = cut < 0 ? old.ts.length : cut;
            m.data = { resolution: 'raw', ts: [...old.ts.slice(start, end), ...fresh.ts], value: [...old.value.slice(start, end), ...fresh.value] };
          } else {
            m.data = fresh;
            m.loadedAt = now;
          }
          m.chart.update(m.data, from, to);
          this.renderCardNote(m, device);
        } catch (err) {
          if (this.ctx.signal.aborted) return;
          m.card.querySelector('.chart-note')!.textContent = `Could not load: ${err instanceof ApiError ? err.message : (err as Error).message}`;
        }
      }),
    );
    const resolution = this.metrics[0]?.data?.resolution;
    // Up to 3 hours the server sends raw readings unless there are more than a chart can draw (D109): say so.
    const dense = resolution === '1m' && span <= 3 * 3600_000 ? ' (more readings than a chart can draw)' : '';
    this.info.textContent = resolution ? `${resolution === 'raw' ? 'Raw readings' : resolution === '1m' ? `1-minute minimum, average and maximum${dense}` : '1-hour minimum, average and maximum'} · updated ${new Date().toLocaleTimeString()}` : '';
  }

  private buildCharts(device: DeviceView): void {
    this.metrics.forEach((m) => m.chart.destroy());
    const metrics = Object.entries(DEVICE_TYPES[device.type].metrics as Record<string, MetricSpec>);
    this.charts.innerHTML = metrics
      .map(
        ([metric, s]) => `<figure class="chart-card" data-metric="${esc(metric)}">
        <figcaption><span class="chart-title">${esc(s.label)} <span class="muted small">${esc(s.unit)}</span></span><span class="chart-latest" data-testid="latest-${esc(metric)}"></span></figcaption>
        <div class="chart" data-testid="chart-${esc(metric)}"></div>
        <p class="chart-note muted small"></p></figure>`,
      )
      .join('');
    this.metrics = metrics.map(([metric, s]) => {
      const card = this.charts.querySelector<HTMLElement>(`[data-metric="${CSS.escape(metric)}"]`)!;
      return { metric, spec: s, card, chart: new MetricChart(card.querySelector('.chart')!, s), loadedAt: 0 };
    });
  }

  private renderCardNote(m: MetricView, device: DeviceView): void {
    const latest = device.latest[m.metric];
    m.card.querySelector('.chart-latest')!.textContent = latest ? formatValue(latest.value, m.spec) : '–';
    const points = m.data?.ts.length ?? 0;
    const note = m.card.querySelector('.chart-note')!;
    if (!points) note.textContent = 'No readings in this window.';
    else if (m.data!.resolution === 'raw') note.textContent = plural(points, 'reading');
    else note.textContent = `${plural(points, m.data!.resolution === '1m' ? 'minute' : 'hour')} · band from minimum to maximum`;
    const limits = [m.spec.threshold?.above !== undefined ? `above ${m.spec.threshold.above}` : '', m.spec.threshold?.below !== undefined ? `below ${m.spec.threshold.below}` : ''].filter(Boolean);
    if (limits.length) note.textContent += ` · alert ${limits.join(' or ')} ${m.spec.unit}`;
  }

  private renderHead(device: DeviceView | undefined): void {
    const head = this.main.querySelector<HTMLElement>('[data-testid=device-head]')!;
    if (!device) {
      head.innerHTML = `<h2 id="device-heading">Readings</h2><p class="muted">Choose a device to see its readings.</p>`;
      return;
    }
    // A device that never reported says so once, in the pill; the others add when they last did.
    const lastSeen = device.status === 'never' ? '' : ` · ${statusText(device)}`;
    head.innerHTML = `<h2 id="device-heading">${esc(device.name)}</h2>
      <p class="device-meta small"><span class="status-pill ${device.status}"><span class="dot ${device.status}" aria-hidden="true"></span>${STATUS_LABELS[device.status]}</span>
      <span class="muted">${esc(DEVICE_TYPES[device.type].label)} · <code>${esc(device.deviceId)}</code>${lastSeen}</span></p>`;
  }

  private async refreshAlerts(): Promise<void> {
    const items = await listAlerts({ deviceId: this.mine.checked ? this.selected : undefined, limit: 50 }, this.ctx.signal);
    const names = new Map(this.devices.map((d) => [d.deviceId, d.name]));
    const first = this.knownAlerts.size === 0;
    const html = items.length
      ? items.map((a) => alertItem(a, names.get(a.deviceId) ?? a.deviceId, !first && !this.knownAlerts.has(a.alertId))).join('')
      : '<li class="muted small empty-note">No alerts. Thresholds and a z-score test on the last hour run every minute.</li>';
    // Redrawn on every refresh, like the device list: a focused alert keeps the focus.
    keepingFocus(() => (this.alerts.innerHTML = html));
    for (const a of items) this.knownAlerts.add(a.alertId);
    if (first && !items.length) this.knownAlerts.add('');
  }
}

function alertItem(a: AlertView, deviceName: string, isNew: boolean): string {
  const minutes = a.minutes > 1 ? ` · lasted ${a.minutes} min` : '';
  return `<li class="alert-item ${a.severity}${isNew ? ' new' : ''}" data-testid="alert" data-alert-id="${esc(a.alertId)}">
    <button type="button" class="alert-open" id="alert-${esc(a.alertId)}" data-alert-device="${esc(a.deviceId)}">
      <span class="alert-line"><span class="sev ${a.severity}">${ICONS.alert}${a.severity}</span><strong>${esc(deviceName)}</strong><time class="muted small" datetime="${esc(a.raisedAt)}">${ago(Date.parse(a.raisedAt))}${minutes}</time></span>
      <span class="alert-message">${esc(a.message)}</span>
    </button></li>`;
}

function wireRegisterForm(main: HTMLElement, onDone: (device: { deviceId: string }) => void): void {
  const form = main.querySelector<HTMLFormElement>('#register-form')!;
  const error = form.querySelector<HTMLElement>('.error')!;
  const box = main.querySelector<HTMLElement>('[data-testid=new-secret]')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    error.hidden = true;
    // No maxlength on the field: it cut a pasted name short without a word, and the device was registered
    // under the cut name. The API's limit, said here before the request (the API refuses it too, D127).
    const length = [...name].length;
    if (!name || length > DEVICE_NAME_MAX) {
      error.hidden = false;
      error.textContent = name ? `A device name is at most ${DEVICE_NAME_MAX} characters; this one has ${length}.` : 'Give the device a name.';
      return;
    }
    const button = form.querySelector<HTMLButtonElement>('button')!;
    button.disabled = true;
    registerDevice(name, String(data.get('type')))
      .then((device) => {
        form.reset();
        box.hidden = false;
        box.innerHTML = `<p><strong>${esc(device.name)}</strong> is registered. Copy its secret now: it is shown only once.</p>
          <dl><dt>Device id</dt><dd><code data-testid="new-device-id">${esc(device.deviceId)}</code></dd>
          <dt>Secret</dt><dd><code data-testid="new-device-secret">${esc(device.secret)}</code> <button type="button" class="secondary small-button" data-copy="${esc(device.secret)}">Copy</button></dd></dl>
          <p class="muted small">Sign each request: <code>x-signature = hex(HMAC-SHA256(secret, x-timestamp + "." + body))</code>, then <code>POST /api/iot/events</code>.</p>`;
        box.querySelector<HTMLButtonElement>('[data-copy]')?.addEventListener('click', (e) => {
          const target = e.currentTarget as HTMLButtonElement;
          void navigator.clipboard?.writeText(target.dataset.copy ?? '').then(() => (target.textContent = 'Copied'));
        });
        onDone(device);
      })
      .catch((err: unknown) => {
        error.hidden = false;
        error.textContent = err instanceof ApiError ? err.message : 'Registration failed.';
      })
      .finally(() => (button.disabled = false));
  });
}

/** The admin's reports: create one for a window, download recent ones. */
class Reports {
  private readonly list: HTMLUListElement;
  private readonly error: HTMLElement;

  constructor(
    private readonly main: HTMLElement,
    private readonly signal: AbortSignal,
  ) {
    this.list = main.querySelector('[data-testid=report-list]')!;
    this.error = main.querySelector('[data-testid=report-error]')!;
    signal.addEventListener('abort', () => clearTimeout(this.refreshTimer), { once: true });
  }

  start(): void {
    const form = this.main.querySelector<HTMLFormElement>('#report-form')!;
    const to = new Date();
    (form.elements.namedItem('to') as HTMLInputElement).value = localInput(to);
    (form.elements.namedItem('from') as HTMLInputElement).value = localInput(new Date(to.getTime() - 86400_000));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const from = Date.parse((form.elements.namedItem('from') as HTMLInputElement).value);
      const until = Date.parse((form.elements.namedItem('to') as HTMLInputElement).value);
      this.error.hidden = true;
      if (!Number.isFinite(from) || !Number.isFinite(until) || until <= from) return this.fail('Choose a start before the end.');
      const button = form.querySelector<HTMLButtonElement>('button')!;
      button.disabled = true;
      button.textContent = 'Creating…';
      createReport(from, until)
        .then((report) => this.render([report, ...this.items.filter((r) => r.reportId !== report.reportId)], report.reportId))
        .catch((err: unknown) => this.fail(err instanceof ApiError ? err.message : 'The report could not be created.'))
        .finally(() => {
          button.disabled = false;
          button.textContent = 'Create report';
        });
    });
    listReports(this.signal)
      .then((items) => this.render(items))
      .catch(() => undefined);
  }

  private items: ReportView[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  private render(items: ReportView[], fresh?: string): void {
    this.items = items;
    this.refreshBeforeExpiry(fresh);
    this.list.innerHTML = items.length
      ? items
          .map(
            (r) => `<li class="report-item${r.reportId === fresh ? ' new' : ''}"><span><strong title="${esc(r.reportId)}">${esc(r.from && r.to ? reportWindowText(r.from, r.to) : r.reportId)}</strong><span class="muted small"> · created ${reportCreatedText(r.createdAt)} · ${formatBytes(r.size)}${r.rows !== undefined ? ` · ${plural(r.rows, 'row')}` : ''}</span></span>
            <a class="download" href="${esc(r.url)}" download="${esc(r.reportId)}.csv" data-testid="report-download">Download CSV</a></li>`,
          )
          .join('')
      : '<li class="muted small empty-note">No reports yet.</li>';
  }

  /**
   * The links are OSS URLs signed for a few minutes, and this page stays open for hours (it refreshes itself):
   * a minute before the first one expires, ask for the list again — the API signs every URL anew. The wait is
   * kept between 30 s and 14 min so a browser clock set wrong neither asks constantly nor lets a link lapse.
   */
  private refreshBeforeExpiry(fresh: string | undefined): void {
    clearTimeout(this.refreshTimer);
    const soonest = Math.min(...this.items.map((r) => Date.parse(r.expiresAt)));
    if (!Number.isFinite(soonest) || this.signal.aborted) return;
    const wait = Math.min(14 * 60_000, Math.max(30_000, soonest - 60_000 - Date.now()));
    this.refreshTimer = setTimeout(() => {
      listReports(this.signal)
        .then((items) => this.render(items, fresh))
        .catch(() => !this.signal.aborted && this.refreshBeforeExpiry(fresh));
    }, wait);
  }

  private fail(message: string): void {
    this.error.hidden = false;
    this.error.textContent = message;
  }
}

function spec(type: DeviceType, metric: string): MetricSpec | undefined {
  return (DEVICE_TYPES[type].metrics as Record<string, MetricSpec>)[metric];
}

function formatValue(value: number, s: MetricSpec | undefined): string {
  return s ? `${value.toFixed(s.decimals)} ${s.unit}` : String(value);
}

/** The status pill's words (the raw `never` showed as "Never", which said nothing beside "no readings yet"). */
const STATUS_LABELS: Record<DeviceView['status'], string> = { online: 'Online', offline: 'Offline', never: 'No readings yet' };

function statusText(d: DeviceView): string {
  if (!d.lastSeenAt) return 'no readings yet';
  return `last reading ${ago(Date.parse(d.lastSeenAt))}`;
}

function ago(ts: number): string {
  const s = Math.max(0, Math.round((Date.now() - ts) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** `YYYY-MM-DDTHH:mm` in local time, as `<input type=datetime-local>` wants it. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
