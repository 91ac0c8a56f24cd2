import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvokeFunctionHeaders, InvokeFunctionRequest } from '@alicloud/fc20230330';
import { RuntimeOptions } from '@darabonba/typescript';
import type { Page } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { localFcClient } from '../helpers/fc-sdk';
import { copyFixtureApp } from '../helpers/fixture-app';
import { ossClient, uniqueBucket } from '../helpers/oss';
import { tempDir } from '../helpers/temp';
import { describeInBrowser, pageProblems, startE2e, type E2e, type ViewportName } from './support/harness';

/**
 * The local console (`/_local/`) as a developer opens it in a browser: every section fills from its JSON API,
 * nothing the page asks for is missing (a favicon request that 404s shows up as an error in the browser's
 * console), and it fits a phone's screen.
 */
describeInBrowser('local console', () => {
  let e2e: E2e;

  beforeAll(async () => {
    e2e = await startE2e();
  }, 120_000);
  afterAll(async () => {
    await e2e?.stop();
  });

  async function openConsole(viewport: ViewportName): Promise<{ page: Page; failedLoads: string[] }> {
    const page = await e2e.isolatedPage(viewport);
    const failedLoads: string[] = [];
    // The harness records the page's own failed requests; the browser's favicon request is not one of them
    // and shows only as a console message.
    page.on('console', (msg) => {
      if (msg.type() === 'error' && msg.text().startsWith('Failed to load resource')) failedLoads.push(msg.text());
    });
    await page.goto('/_local/');
    await page.locator('#functions tr td').first().waitFor();
    await page.locator('#tables tr td').first().waitFor();
    return { page, failedLoads };
  }

  it.each(['desktop', 'mobile'] as const)('shows every section on a %s screen and asks for nothing that is not there', async (viewport) => {
    const { page, failedLoads } = await openConsole(viewport);
    for (const id of ['functions', 'timers', 'tables', 'buckets', 'queues', 'topics']) {
      expect([id, await page.locator(`#${id} tr`).count() > 1]).toEqual([id, true]);
    }
    // The browser asks for an icon once the page has loaded — /favicon.ico, a 404, unless the page names one. Not
    // waited for (it may come any time later): the page names its icon, and the icon loads.
    await page.waitForLoadState('load');
    const icon = await page.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>('link[rel~=icon]')?.href;
      return href === undefined ? 'no icon named' : (await fetch(href)).ok ? 'loads' : `${href} does not load`;
    });
    expect(icon).toBe('loads');
    expect(await pageProblems(page)).toEqual([]);
    expect(failedLoads).toEqual([]);
    // A table's TTL in days, not "34560000 s".
    expect(await page.locator('#tables tr', { hasText: 'telemetry_rollup' }).locator('td').nth(3).textContent()).toBe('400 d');
    await e2e.screenshot(page, `console-${viewport}`);
    await page.close();
  });

  it('runs a timer now and shows the invocation it made, with its logs', async () => {
    const { page } = await openConsole('desktop');
    await page.locator('button[data-trigger=promotions-refresh]').click();
    const row = page.locator('#invocations tr.pick', { hasText: 'timer:promotions-refresh' }).first();
    await row.waitFor();
    await row.click();
    await page.locator('#detail', { hasText: 'promotions refreshed' }).waitFor();
    expect(await page.locator('#detail').textContent()).toContain('--- payload ---');
    await page.locator('button[data-peek=fcsuite-dev-dlq]').click();
    await page.locator('#peek', { hasText: 'fcsuite-dev-dlq:' }).waitFor();
    await page.close();
  });

  it('keeps the keyboard focus on its row or button through the refresh every 2 s', async () => {
    // Every table is drawn anew each refresh: the focused row went with it, and Tab started over at the top.
    const { page } = await openConsole('desktop');
    type Marked = HTMLElement & { stale?: boolean };
    const focusedKey = () => page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      return el.dataset.id ?? el.dataset.peek ?? el.dataset.trigger ?? el.tagName;
    });
    const keepsThroughRefresh = async (selector: string) => {
      await page.locator(selector).first().focus();
      const key = await focusedKey();
      await page.evaluate(() => ((document.activeElement as Marked).stale = true));
      await page.waitForFunction((key) => {
        const now = [...document.querySelectorAll<Marked>('[data-id], [data-peek], [data-trigger]')].find((el) => (el.dataset.id ?? el.dataset.peek ?? el.dataset.trigger) === key);
        return now && !now.stale;
      }, key);
      expect(await focusedKey()).toBe(key);
    };
    await page.locator('#invocations tr.pick').nth(1).waitFor();
    await keepsThroughRefresh('#invocations tr.pick >> nth=1');
    await keepsThroughRefresh('button[data-peek=fcsuite-dev-dlq]');
    await keepsThroughRefresh('button[data-trigger=every-minute]');
    await page.close();
  });

  it('shows each invocation whole on a phone, its status without scrolling sideways', async () => {
    // The six columns were wider than a phone: status, ms and "cold" sat beyond the panel's right edge, and the
    // one thing a developer opens the console for (did it fail?) took a sideways scroll on every row.
    const { page } = await openConsole('mobile');
    await page.locator('button[data-trigger=promotions-refresh]').click();
    await page.locator('#invocations tr.pick', { hasText: 'timer:promotions-refresh' }).first().waitFor();
    const fit = await page.locator('#invocations').evaluate((table) => {
      const panel = table.closest('section')!;
      const edge = panel.getBoundingClientRect().right;
      const cells = [...table.querySelectorAll('td, th')].filter((cell) => cell.getBoundingClientRect().right > edge + 1).map((cell) => cell.textContent);
      return { scrolls: panel.scrollWidth > panel.clientWidth + 1, beyondTheEdge: cells.slice(0, 5) };
    });
    expect(fit).toEqual({ scrolls: false, beyondTheEdge: [] });
    await e2e.screenshot(page, 'console-invocations-mobile');
    await page.close();
  });

  it('shows the other wide tables whole on a phone too, as stacked lines, and as tables on a desktop', async () => {
    // Functions, tables, queues, topics and flow executions scrolled sideways inside their panels on a phone.
    const wide = ['functions', 'tables', 'queues', 'topics', 'executions'];
    const overflow = (page: Page) => page.evaluate((ids) => ids.map((id) => {
      const table = document.getElementById(id)!;
      const panel = table.closest('section')!;
      const edge = panel.getBoundingClientRect().right;
      const beyond = [...table.querySelectorAll('td, th')].filter((cell) => cell.getBoundingClientRect().right > edge + 1).length;
      return { id, scrolls: panel.scrollWidth > panel.clientWidth + 1, beyond };
    }), wide);
    const { page } = await openConsole('mobile');
    expect(await overflow(page)).toEqual(wide.map((id) => ({ id, scrolls: false, beyond: 0 })));
    // Each cell says which column it is (the header row is not shown): "memory: 256 MB".
    expect(await page.locator('#functions tr').nth(1).locator('td').nth(1).evaluate((td) => getComputedStyle(td, '::before').content)).toBe('"memory: "');
    await e2e.screenshot(page, 'console-tables-mobile');
    await page.close();
    const desktop = (await openConsole('desktop')).page;
    expect(await desktop.locator('#functions th').first().isVisible()).toBe(true);
    expect(await desktop.locator('#functions tr').nth(1).locator('td').nth(1).evaluate((td) => getComputedStyle(td, '::before').content)).toBe('none');
    await desktop.close();
  });

  it('says when the local cloud stops answering, and when it is back', async () => {
    // Stopped `npm start` (or a restart): the tables stayed as they were, still "refreshing every 2 s", with no
    // sign that what they show is old.
    const { page } = await openConsole('desktop');
    await page.route('**/_local/api/**', (route) => route.abort('connectionrefused'));
    const status = page.locator('[data-testid=console-status]');
    await status.filter({ hasText: 'cannot reach the local cloud' }).waitFor();
    expect(await page.locator('main').evaluate((el) => el.classList.contains('stale'))).toBe(true);
    await e2e.screenshot(page, 'console-unreachable');
    await page.unroute('**/_local/api/**');
    await status.filter({ hasText: 'refreshes every 2 s' }).waitFor();
    expect(await page.locator('main').evaluate((el) => el.classList.contains('stale'))).toBe(false);
    await page.close();
  });

  describe('async tasks and bucket versioning (D162), on the fc-async-tasks fixture app', () => {
    const dir = tempDir('e2e-console-tasks-');
    let tasks: LocalCloud;
    const run = `e${Date.now().toString(36)}`;
    /** InvokeFunction, Async, with `taskId` as x-fc-async-task-id, through the official SDK. */
    const submit = (fn: string, event: unknown, taskId: string) =>
      localFcClient(tasks.url).invokeFunctionWithOptions(
        fn,
        new InvokeFunctionRequest({ body: Readable.from([Buffer.from(JSON.stringify(event))]) }),
        new InvokeFunctionHeaders({ xFcInvocationType: 'Async', xFcAsyncTaskId: taskId }),
        new RuntimeOptions({}),
      );

    beforeAll(async () => {
      copyFixtureApp('fc-async-tasks', join(dir.path, 'app'));
      // A failed task would wait ten minutes for its retry: none runs twice in this test.
      tasks = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, asyncRetryBaseMs: 600_000 });
    }, 60_000);
    afterAll(async () => {
      await tasks?.stop();
      dir.cleanup();
    });

    it('shows a task\'s id and status, stops a long-running one with its Stop button, and shows a versioned bucket\'s old versions', async () => {
      const done = `${run}-done`;
      const long = `${run}-long`;
      await submit('fc-task', { answer: 'quick' }, done);
      await submit('fc-task', { sleepMs: 50_000, answer: 'never' }, long);
      const oss = ossClient(tasks.oss);
      const bucket = uniqueBucket('e2e-ver');
      await oss.putBucket(bucket);
      oss.useBucket(bucket);
      await oss.putBucketVersioning(bucket, 'Enabled');
      await oss.put('report.csv', Buffer.from('v1'));
      await oss.put('report.csv', Buffer.from('v2'));
      await oss.put('notes.txt', Buffer.from('kept'));
      await oss.delete('report.csv');

      const page = await e2e.isolatedPage('desktop', tasks.url);
      await page.goto('/_local/');
      const row = (taskId: string) => page.locator('#async tr', { hasText: taskId });
      await row(done).getByTestId('task-status').filter({ hasText: 'Succeeded' }).waitFor();
      await row(long).getByTestId('task-status').filter({ hasText: 'Running' }).waitFor({ timeout: 30_000 });
      expect(await row(done).locator('button').count()).toBe(0);
      const versioning = page.locator('#buckets tr', { hasText: bucket }).locator('td').nth(1);
      expect(await versioning.textContent()).toBe('Enabled2 noncurrent versions, 1 delete marker');
      await e2e.screenshot(page, 'console-tasks-running');

      await row(long).locator(`button[data-stop-task="${long}"]`).click();
      await page.locator('#async-note', { hasText: `stop fc-task / ${long}:` }).waitFor();
      await row(long).getByTestId('task-status').filter({ hasText: 'Stopped' }).waitFor();
      expect(await row(long).locator('button').count()).toBe(0);
      // Stopped through StopAsyncTask's own path: the invocation was ended, not left to sleep out its 50 seconds.
      const stopped = tasks.asyncInvoker.task('fc-task', long)!;
      expect(stopped.status).toBe('stopped');
      expect(tasks.runtime.recent({ functionName: 'fc-task', limit: 100 }).find((r) => r.requestId === stopped.request_id)?.error).toMatchObject({ errorType: 'AsyncTaskStopped' });
      expect(await pageProblems(page)).toEqual([]);
      await e2e.screenshot(page, 'console-tasks-stopped');
      await page.close();

      const phone = await e2e.isolatedPage('mobile', tasks.url);
      await phone.goto('/_local/');
      await phone.locator('#async tr', { hasText: long }).getByTestId('task-status').filter({ hasText: 'Stopped' }).waitFor();
      const beyond = await phone.locator('#async').evaluate((table) => {
        const edge = table.closest('section')!.getBoundingClientRect().right;
        return [...table.querySelectorAll('td')].filter((cell) => cell.getBoundingClientRect().right > edge + 1).length;
      });
      expect(beyond).toBe(0);
      await e2e.screenshot(phone, 'console-tasks-mobile');
      await phone.close();
    }, 90_000);
  });

  it('logged no script errors and met no server error', () => {
    expect(e2e.pageErrors).toEqual([]);
    expect(e2e.failedResponses).toEqual([]);
  });
});
