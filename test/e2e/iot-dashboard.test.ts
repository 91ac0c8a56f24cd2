import type { Page } from 'playwright-core';
import type { DeviceCredentials } from '../../functions/_shared/contracts/iot';
import { DeviceSignal } from '../../scripts/iot/signals';
import { eventually } from '../helpers/eventually';
import { IotClient, postReadings } from '../helpers/iot-http';
import { describeInBrowser, pageProblems, startE2e, type E2e } from './support/harness';

/**
 * The IoT dashboard (issue 9, part 5) in headless Chromium against the local cloud: an admin signs in,
 * registers a device (its secret shown once), watches readings posted by a simulated device appear as
 * charts that keep updating, sees an alert appear after an anomaly (rollup "run now"), and downloads a CSV
 * report; the same page on a phone. Screenshots in test-results/e2e/iot-*.png.
 */
const IOT_FUNCTIONS = ['iot-devices', 'iot-ingest', 'iot-etl', 'iot-rollup', 'iot-report'];
const MINUTE = 60_000;

const chartPoints = (page: Page, metric: string) => page.locator(`[data-testid=chart-${metric}]`).evaluate((el) => Number((el as HTMLElement).dataset.points ?? 0));
/**
 * Pixels of the chart's canvas in the series colour (#c2410c, website/src/charts.ts): what uPlot drew, not what
 * the page meant to draw (`data-points` counts the data handed to it). The limit lines (#b42318) and the min–max
 * band are other colours.
 */
const drawnPixels = (page: Page, metric: string) =>
  page.locator(`[data-testid=chart-${metric}] canvas`).evaluate((canvas) => {
    const c = canvas as HTMLCanvasElement;
    const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - 194) <= 12 && Math.abs(data[i + 1]! - 65) <= 12 && Math.abs(data[i + 2]! - 12) <= 12 && data[i + 3]! > 200) n += 1;
    return n;
  });

describeInBrowser('website: IoT dashboard', () => {
  let e2e: E2e;
  let api: IotClient;
  let sensor: DeviceCredentials;

  /** Ten minutes of one reading every 5 s per metric, as the simulator's signal makes them, up to now. */
  async function backfill(device: DeviceCredentials, type: DeviceCredentials['type'], minutes = 10): Promise<void> {
    const now = Date.now();
    const readings = new DeviceSignal(device.deviceId, type, 0.2, { spike: 0, fault: 0, glitch: 0, dropout: 0 }).readings(now - minutes * MINUTE, now);
    for (let i = 0; i < readings.length; i += 500) expect((await postReadings(e2e.url, device, { readings: readings.slice(i, i + 500) }, { timestamp: Date.now() + i })).status).toBe(202);
  }

  beforeAll(async () => {
    e2e = await startE2e({ warm: IOT_FUNCTIONS });
    api = await IotClient.signIn(e2e.url);
    sensor = await api.register('Greenhouse 1', 'env-sensor');
    await backfill(sensor, 'env-sensor');
    const pump = await api.register('Pump 7', 'pump');
    await backfill(pump, 'pump');
    // Both, as the dashboard's first test counts two online devices: the pump's readings are processed after the
    // sensor's, and on a slow machine the page could be drawn before the pump came online.
    for (const device of [sensor, pump]) await eventually(async () => expect((await api.device(device.deviceId)).status).toBe('online'), { timeoutMs: 30_000 });
  }, 180_000);
  afterAll(async () => {
    await e2e?.stop();
  });

  it('asks for a sign-in first', async () => {
    const page = await e2e.isolatedPage();
    await page.goto('/iot');
    await page.locator('[data-testid=sign-in-prompt]').waitFor();
    await page.click('text=Sign in >> nth=-1');
    await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/iot');
  });

  it('charts each metric of a device with points, and keeps them coming', async () => {
    const page = await e2e.page();
    await page.goto('/sign-in?next=/iot');
    await page.fill('#username', 'admin');
    await page.fill('#password', 'admin-demo');
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.pathname === '/iot');
    await page.locator(`[data-device-id="${sensor.deviceId}"]`).click();
    for (const metric of ['temperature', 'humidity', 'co2']) {
      await page.locator(`[data-testid=chart-${metric}] canvas`).waitFor();
      await eventually(async () => expect(await chartPoints(page, metric)).toBeGreaterThan(100));
      // Drawn: the line is on the canvas, not only in the data handed to the chart (D165).
      await eventually(async () => expect(await drawnPixels(page, metric)).toBeGreaterThan(300));
    }
    expect(await page.locator('[data-testid=device-list] .dot.online').count()).toBe(2);
    // A new reading shows up without reloading the page.
    const before = await chartPoints(page, 'temperature');
    await postReadings(e2e.url, sensor, { readings: [{ ts: Date.now(), metric: 'temperature', value: 23.4 }] });
    await eventually(async () => expect(await chartPoints(page, 'temperature')).toBeGreaterThan(before), { timeoutMs: 20_000 });
    await eventually(async () => expect(await page.locator('[data-testid=latest-temperature]').textContent()).toBe('23.4 °C'), { timeoutMs: 20_000 });
    // The 24-hour window switches to 1-minute rollups with a min–max band.
    await page.click('[data-window="24h"]');
    await eventually(async () => expect(await page.locator('[data-testid=chart-co2]').getAttribute('data-resolution')).toBe('1m'));
    await page.click('[data-window="1h"]');
    expect(await pageProblems(page)).toEqual([]);
    await e2e.screenshot(page, 'iot-dashboard');
  });

  it('shows a reading that arrives minutes late at the next refresh, not with the next full reload (D136)', async () => {
    const page = await e2e.isolatedPage();
    // A fresh page: its full reload of the raw charts is a minute away, so only the live refresh can show it.
    // The hour holds the whole backfill, so no point leaves the window while the test counts them.
    const next = `/iot?device=${sensor.deviceId}&window=1h`;
    await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
    await page.fill('#username', 'admin');
    await page.fill('#password', 'admin-demo');
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.pathname === '/iot');
    await page.locator('[data-testid=chart-humidity] canvas').waitFor();
    await eventually(async () => expect(await chartPoints(page, 'humidity')).toBeGreaterThan(100));
    // The newest point now, so the refresh re-reads only the last two minutes before it.
    const shown = await chartPoints(page, 'humidity');
    const now = Date.now();
    expect((await postReadings(e2e.url, sensor, { readings: [{ ts: now, metric: 'humidity', value: 51.5 }] })).status).toBe(202);
    await eventually(async () => expect(await chartPoints(page, 'humidity')).toBe(shown + 1), { timeoutMs: 20_000 });
    const before = shown + 1;
    // A device's buffer: a reading eight minutes old, off the backfill's 5-second grid.
    const late = now - 8 * MINUTE + 2_500;
    expect((await postReadings(e2e.url, sensor, { readings: [{ ts: late, metric: 'humidity', value: 62.5 }] })).status).toBe(202);
    await eventually(async () => expect(await chartPoints(page, 'humidity')).toBe(before + 1), { timeoutMs: 20_000 });
    expect(await pageProblems(page)).toEqual([]);
  });

  it('shows an alert after an anomaly once the rollup has run', async () => {
    const page = await e2e.page();
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE;
    // Off the backfill's 5-second grid, so it is a reading of its own.
    const ts = minute + 31_000;
    expect((await postReadings(e2e.url, sensor, { readings: [{ ts, metric: 'co2', value: 2600 }] })).status).toBe(202);
    await eventually(async () => expect((await api.series(sensor.deviceId, { metric: 'co2', from: ts, to: ts + 1, step: 'raw' })).points).toEqual([{ ts, value: 2600 }]));
    const run = await fetch(`${e2e.url}/_local/api/timers/iot-rollup/run`, { method: 'POST' });
    expect(run.status).toBe(202);
    const alert = page.locator('[data-testid=alert]', { hasText: 'CO₂ 2600 ppm is above the limit of 1500 ppm' });
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toContain('Greenhouse 1');
    await e2e.screenshot(page, 'iot-dashboard-alert');
  });

  it('registers a device and shows its secret once', async () => {
    const page = await e2e.page();
    await page.locator('[data-testid=register] summary').click();
    await page.fill('#device-name', 'Meter A');
    await page.selectOption('#device-type', 'power-meter');
    await page.click('#register-form button[type=submit]');
    const secret = (await page.locator('[data-testid=new-device-secret]').textContent())!;
    const deviceId = (await page.locator('[data-testid=new-device-id]').textContent())!;
    expect(secret).toMatch(/^[\w-]{43}$/);
    // Listed at once, saying once (not on two lines) that nothing has arrived yet.
    const item = page.locator(`[data-device-id="${deviceId}"]`);
    await item.waitFor();
    expect((await item.innerText()).match(/no readings yet/gi)).toHaveLength(1);
    // Its panel's status says the same in words, once (it said "Never", the raw status, beside "no readings yet").
    const head = page.locator('[data-testid=device-head]');
    await head.locator('h2', { hasText: 'Meter A' }).waitFor();
    expect(await head.locator('.status-pill').innerText()).toBe('No readings yet');
    expect((await head.innerText()).match(/no readings yet|never/gi)).toEqual(['No readings yet']);
    // The secret works: the new device posts a reading and turns online.
    expect((await postReadings(e2e.url, { deviceId, secret }, { readings: [{ ts: Date.now(), metric: 'voltage', value: 229.5 }] })).status).toBe(202);
    await page.locator(`[data-device-id="${deviceId}"] .dot.online`).waitFor({ timeout: 20_000 });
    await eventually(async () => expect(await head.locator('.status-pill').innerText()).toBe('Online'));
  });

  it('says a name over 64 characters is too long, keeping it in the field, instead of registering it cut short (D127)', async () => {
    const page = await e2e.isolatedPage();
    await page.goto('/sign-in?next=/iot');
    await page.fill('#username', 'admin');
    await page.fill('#password', 'admin-demo');
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.pathname === '/iot');
    await page.locator('#register-form').evaluate((form) => ((form.closest('details') as HTMLDetailsElement).open = true));
    const long = `Greenhouse ${Date.now()} north wing, second row of the east bay, by the door`;
    expect(long.length).toBeGreaterThan(64);
    await page.fill('#device-name', long);
    await page.click('#register-form button[type=submit]');
    const error = page.locator('#register-form .error');
    await error.waitFor();
    expect(await error.innerText()).toBe(`A device name is at most 64 characters; this one has ${long.length}.`);
    expect(await page.inputValue('#device-name')).toBe(long);
    const listed = await api.json<{ items: { name: string }[] }>('GET', '/api/iot/devices');
    expect(listed.items.filter((d) => d.name.startsWith(long.slice(0, 30)))).toEqual([]);
  });

  it('creates a report and downloads it as CSV', async () => {
    const page = await e2e.page();
    await page.click('[data-testid=report-form] button[type=submit]');
    const link = page.locator('[data-testid=report-download]').first();
    await link.waitFor();
    const href = (await link.getAttribute('href'))!;
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const path = await download.path();
    const csv = (await import('node:fs')).readFileSync(path, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('device_id,device_name,device_type,metric,unit,from,to,readings,min,max,avg,alerts');
    expect(csv).toContain(`${sensor.deviceId},Greenhouse 1,env-sensor,co2,ppm`);
    expect(href).toContain('reports/');
    await e2e.screenshot(page, 'iot-dashboard-report');
  });

  it('keeps the download links working on a dashboard left open longer than a signed URL lives', async () => {
    // The page refreshes itself, so an admin leaves it open; the report links are OSS URLs signed for 15 minutes.
    const page = await e2e.isolatedPage();
    await page.clock.install();
    await page.goto('/sign-in?next=/iot');
    await page.fill('#username', 'admin');
    await page.fill('#password', 'admin-demo');
    await page.click('button[type=submit]');
    const link = page.locator('[data-testid=report-download]').first();
    await link.waitFor();
    const expiry = (href: string) => {
      const url = new URL(href);
      const date = url.searchParams.get('x-oss-date')!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z');
      return Date.parse(date) + Number(url.searchParams.get('x-oss-expires')) * 1000;
    };
    const before = (await link.getAttribute('href'))!;
    // A listed report is titled by the window it covers, not by its id ("rpt_01m8…" told one from another by nothing).
    expect(await page.locator('.report-item strong').first().textContent()).toMatch(/\d{4}, .+ – .+\d{4}, /);
    // A second later (the server signs with its own clock), the page's clock moves 16 minutes on.
    await eventually(async () => expect(Math.floor(Date.now() / 1000)).toBeGreaterThan(Math.floor((expiry(before) - 900_000) / 1000)));
    await page.clock.fastForward('16:00');
    await eventually(async () => expect(expiry((await link.getAttribute('href'))!)).toBeGreaterThan(expiry(before)));
    const fresh = (await link.getAttribute('href'))!;
    expect((await fetch(fresh)).status).toBe(200);
  });

  it('keeps the keyboard focus where it is while the page refreshes itself', async () => {
    // The device and alert lists are drawn anew every few seconds: the focused button went with them, and the
    // next Tab started again from the first device, so a keyboard user could not get down a long list.
    const page = await e2e.page();
    await page.goto('/iot');
    const item = (deviceId: string) => page.locator(`[data-device-id="${deviceId}"]`);
    await item(sensor.deviceId).waitFor();
    const pump = await page.locator('[data-device-id]').evaluateAll((els, sensorId) => els.map((el) => (el as HTMLElement).dataset.deviceId!).find((id) => id !== sensorId)!, sensor.deviceId);
    await item(pump).focus();
    // Enter picks it (the list is drawn again at once), and focus stays on it.
    await page.keyboard.press('Enter');
    await page.locator(`[data-device-id="${pump}"][aria-pressed=true]`).waitFor();
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.deviceId)).toBe(pump);
    // Through the next refreshes too: wait until the focused button has been replaced by a new one.
    await page.evaluate(() => ((document.activeElement as HTMLElement & { stale?: boolean }).stale = true));
    await page.waitForFunction((id) => !(document.querySelector(`[data-device-id="${id}"]`) as HTMLElement & { stale?: boolean }).stale, pump);
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.deviceId)).toBe(pump);
    // The same for an alert (each opens its device).
    const alert = page.locator('[data-testid=alert] button').first();
    await alert.focus();
    const alertId = await page.evaluate(() => (document.activeElement!.closest('[data-alert-id]') as HTMLElement).dataset.alertId);
    await page.evaluate(() => ((document.activeElement as HTMLElement & { stale?: boolean }).stale = true));
    await page.waitForFunction((id) => !(document.querySelector(`[data-alert-id="${id}"] button`) as HTMLElement & { stale?: boolean }).stale, alertId);
    expect(await page.evaluate(() => (document.activeElement!.closest('[data-alert-id]') as HTMLElement | null)?.dataset.alertId)).toBe(alertId);
  });

  it('works on a phone', async () => {
    const page = await e2e.page('mobile');
    await page.goto('/sign-in?next=/iot');
    await page.fill('#username', 'admin');
    await page.fill('#password', 'admin-demo');
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.pathname === '/iot');
    await page.locator(`[data-device-id="${sensor.deviceId}"]`).click();
    await page.locator('[data-testid=chart-temperature] canvas').waitFor();
    await eventually(async () => expect(await chartPoints(page, 'temperature')).toBeGreaterThan(100));
    expect(await pageProblems(page)).toEqual([]);
    await e2e.screenshot(page, 'iot-dashboard-mobile');
    expect(e2e.pageErrors).toEqual([]);
  });

  it('keeps a device named by one 64-character word inside a phone’s screen', async () => {
    // The name is the heading of the device's panel: unbroken, it made the page 706 px wide on a 390 px phone.
    const long = await api.register('Pumpstationabwasserklaeranlagenueberwachungseinheitnummerdreiund', 'pump');
    const page = await e2e.isolatedPage('mobile');
    await page.goto('/sign-in?next=/iot');
    await page.fill('#username', 'admin');
    await page.fill('#password', 'admin-demo');
    await page.click('button[type=submit]');
    // Cut with an ellipsis in the list, the whole name on hover.
    expect(await page.locator(`[data-device-id="${long.deviceId}"] .device-name`).getAttribute('title')).toBe('Pumpstationabwasserklaeranlagenueberwachungseinheitnummerdreiund');
    await page.locator(`[data-device-id="${long.deviceId}"]`).click();
    await page.locator('#device-heading', { hasText: 'Pumpstation' }).waitFor();
    expect(await pageProblems(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await e2e.screenshot(page, 'iot-dashboard-long-name-mobile');
  });
});
