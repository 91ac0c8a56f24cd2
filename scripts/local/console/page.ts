import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Mount } from '../gateway/server';
import { STOPPABLE_TASK_STATUSES } from './async-tasks';

/**
 * The local console's page at `/_local/`: one self-contained HTML document that reads the console API
 * (`/_local/api/…`) every two seconds and shows functions, recent invocations with their logs, the async
 * queue, timers (with "run now"), TableStore tables and trigger cursors, the OSS buckets, MNS queues (counts, peek,
 * dead-letter queues with "redrive") and topics, async tasks (with "stop", D162), each bucket's versioning, and
 * CloudFlow executions step by step (pick one to see its history). Read-only except for the run-now, stop and redrive buttons, which say what they do. Kept
 * deliberately small: the console issue grows it.
 */
export function consolePage(): Mount {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== '/_local' && url.pathname !== '/_local/') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-length': Buffer.byteLength(PAGE) });
    res.end(req.method === 'HEAD' ? undefined : PAGE);
    return true;
  };
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local cloud console</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%231d2433'/%3E%3C/svg%3E">
<style>
  :root { --ink:#1d2433; --muted:#5b6475; --line:#e3e6ec; --bg:#f6f7f9; --ok:#0f7b3f; --bad:#b42318; --warn:#9a5b00; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--ink); background:var(--bg); }
  header { display:flex; align-items:baseline; gap:16px; padding:14px 24px; background:#fff; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; } header a { color:var(--muted); }
  main { display:grid; grid-template-columns: repeat(auto-fit, minmax(min(520px, 100%), 1fr)); gap:16px; padding:16px 24px 32px; }
  section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:12px 16px; overflow:auto; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size:15px; margin:0 0 8px; }
  table { width:100%; border-collapse:collapse; font-size:13px; }
  th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
  th { color:var(--muted); font-weight:600; }
  tr.pick { cursor:pointer; } tr.pick:hover td { background:#f2f5fb; }
  .ok { color:var(--ok); } .bad { color:var(--bad); } .warn { color:var(--warn); } .muted { color:var(--muted); }
  code, pre { font:12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
  pre { white-space:pre-wrap; background:#0f1722; color:#d8e1ee; padding:10px; border-radius:8px; max-height:320px; overflow:auto; margin:8px 0 0; }
  button { font:inherit; font-size:12px; padding:3px 10px; border:1px solid #c9cfda; border-radius:6px; background:#fff; cursor:pointer; }
  button:focus-visible, tr.pick:focus-visible { outline:2px solid #2455c3; outline-offset:1px; }
  main.stale { opacity:0.55; } #status.bad { font-weight:600; }
  /* A phone: six invocation columns do not fit, and status, ms and cold went beyond the panel's edge. Each
     invocation is two lines instead: function, status, ms / time, source, cold. */
  @media (max-width: 600px) {
    header { flex-wrap:wrap; padding:12px 14px; } main { padding:12px 10px 24px; gap:12px; } section { padding:10px 12px; }
    #invocations tr { display:grid; grid-template-columns:auto 1fr auto auto; column-gap:10px; padding:4px 0; border-bottom:1px solid var(--line); }
    #invocations th, #invocations td { border:0; padding:1px 0; overflow-wrap:anywhere; }
    #invocations :is(th, td):nth-child(1) { grid-area:2 / 1; white-space:nowrap; }
    #invocations :is(th, td):nth-child(2) { grid-area:1 / 1 / 2 / 3; font-weight:600; }
    #invocations :is(th, td):nth-child(3) { grid-area:2 / 2; }
    #invocations :is(th, td):nth-child(4) { grid-area:1 / 3; }
    #invocations :is(th, td):nth-child(5) { grid-area:1 / 4; text-align:right; }
    #invocations :is(th, td):nth-child(6) { grid-area:2 / 3 / 3 / 5; text-align:right; }
    #invocations td[colspan] { grid-area:1 / 1 / 2 / -1; }
    #invocations th { font-weight:600; }
    #invocations tr.pick:hover { background:#f2f5fb; } #invocations tr.pick:hover td { background:none; }
    /* The other tables (functions, tables, queues, topics, flow executions, ...) scrolled sideways the same way.
       Each row becomes lines that wrap: its first cell as the row's title, then every other cell named by its
       column ("memory: 256 MB"), since the header row is not shown; empty cells take no room. */
    table:not(#invocations), table:not(#invocations) tbody { display:block; }
    table:not(#invocations) tr:has(th) { display:none; }
    table:not(#invocations) tr { display:flex; flex-wrap:wrap; column-gap:14px; padding:5px 0; border-bottom:1px solid var(--line); }
    table:not(#invocations) td { border:0; padding:1px 0; min-width:0; overflow-wrap:anywhere; }
    table:not(#invocations) td:first-child { flex-basis:100%; font-weight:600; }
    table:not(#invocations) td:empty { display:none; }
    table:not(#invocations) td:not(:first-child)[data-label]::before { content:attr(data-label) ": "; color:var(--muted); font-weight:400; }
    table:not(#invocations) td[colspan] { font-weight:400; }
    /* A TableStore table is known by its name; the instance is the same on every row. */
    #tables td:nth-child(2) { order:-1; flex-basis:100%; font-weight:600; } #tables td:nth-child(2)::before { content:none; }
    #tables td:first-child { flex-basis:auto; font-weight:400; } #tables td:first-child::before { content:attr(data-label) ": "; color:var(--muted); }
    table:not(#invocations) tr.pick:hover { background:#f2f5fb; } table:not(#invocations) tr.pick:hover td { background:none; }
  }
</style>
</head>
<body>
<header><h1>Local cloud console</h1><span class="muted"><span id="status" role="status" data-testid="console-status">refreshes every 2 s</span> · <a href="/">website</a> · <a href="/_local/api/functions">JSON API</a></span></header>
<main>
  <section class="wide"><h2>Recent invocations</h2><table id="invocations"></table><pre id="detail" hidden></pre></section>
  <section><h2>Functions</h2><table id="functions"></table></section>
  <section><h2>Timers</h2><table id="timers"></table></section>
  <section class="wide"><h2>Asynchronous events and tasks</h2><table id="async"></table><p id="async-note" role="status" hidden></p></section>
  <section><h2>TableStore triggers</h2><table id="streams"></table></section>
  <section><h2>TableStore tables</h2><table id="tables"></table></section>
  <section class="wide"><h2>OSS buckets</h2><table id="buckets"></table></section>
  <section class="wide"><h2>MNS queues</h2><table id="queues"></table><pre id="peek" hidden></pre></section>
  <section class="wide"><h2>MNS topics</h2><table id="topics"></table></section>
  <section class="wide"><h2>Flow executions</h2><table id="executions"></table><div id="execution" hidden style="margin-top:14px"><h2 id="execution-title"></h2><table id="steps"></table></div></section>
</main>
<script>
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&':'&amp;', '<':'&lt;', '>':'&gt;', '"':'&quot;', "'":'&#39;' })[c]);
const time = (ms) => ms ? new Date(ms).toLocaleTimeString() : '';
// "400 d" reads at a glance where "34560000 s" needs a calculator.
const ttlText = (s) => (s % 86400 === 0 ? s / 86400 + ' d' : s % 3600 === 0 ? s / 3600 + ' h' : s + ' s');
const cls = (s) => { s = String(s).toLowerCase(); return s === 'succeeded' ? 'ok' : s === 'queued' || s === 'running' || s === 'throttled' ? 'warn' : 'bad'; };
// FC's task statuses (D159): the ones still under way, and those StopAsyncTask takes (the API refuses the rest).
const taskCls = (s) => s === 'Succeeded' ? 'ok' : /^(Enqueued|Running|Retrying|Stopping)$/.test(s) ? 'warn' : 'bad';
const STOPPABLE = ${JSON.stringify(STOPPABLE_TASK_STATUSES)};
// A bucket's versioning (D156): off when never enabled; else its status and what its previous versions hold.
const plural = (n, one) => n + ' ' + one + (n === 1 ? '' : 's');
const versioningText = (v) => !v ? '<span class="muted">off</span>' :
  esc(v.status) + '<br><span class="muted">' + plural(v.noncurrentVersions, 'noncurrent version') + ', ' + plural(v.deleteMarkers, 'delete marker') + '</span>';
const short = (v) => { const t = JSON.stringify(v); return t && t.length > 160 ? t.slice(0, 157) + '…' : (t || ''); };
const get = (path) => fetch('/_local/api/' + path).then((r) => r.json());
// Every table is drawn anew on each refresh. A focused row or button is found again by its data-* attributes (what
// it names) and keeps the focus: otherwise a keyboard user lost their place every two seconds.
const sameData = (a, b) => JSON.stringify(Object.assign({}, a.dataset)) === JSON.stringify(Object.assign({}, b.dataset));
function table(id, head, rows) {
  const box = document.getElementById(id);
  const focused = box.contains(document.activeElement) ? document.activeElement : null;
  box.innerHTML = '<tr>' + head.map((h) => '<th>' + esc(h) + '</th>').join('') + '</tr>' +
    (rows.length ? rows.join('') : '<tr><td colspan="' + head.length + '" class="muted">nothing yet</td></tr>');
  // Each cell knows its column's name: a phone shows it before the value, where the header row does not fit.
  box.querySelectorAll('tr').forEach((tr) => Array.from(tr.cells).forEach((cell, i) => { if (cell.tagName === 'TD' && head[i]) cell.dataset.label = head[i]; }));
  const again = focused && Array.from(box.querySelectorAll(focused.tagName)).find((el) => sameData(el, focused));
  if (again) again.focus({ preventScroll: true });
}
async function showInvocation(id) {
  const r = await get('invocations/' + encodeURIComponent(id));
  const detail = document.getElementById('detail');
  detail.hidden = false;
  detail.textContent = r.functionName + '  ' + r.requestId + '  ' + r.status + '  ' + r.durationMs + ' ms\\n\\n--- logs ---\\n' + (r.logs || '(none)') + '\\n--- payload ---\\n' + r.payload;
  // Below a long table of invocations: bring it into view, or a click seems to do nothing.
  detail.scrollIntoView({ block: 'nearest' });
}
let shownExecution = null;
async function showExecution(flow, name) {
  shownExecution = [flow, name];
  const e = await get('executions/' + encodeURIComponent(flow) + '/' + encodeURIComponent(name));
  document.getElementById('execution').hidden = false;
  document.getElementById('execution-title').textContent = flow + ' / ' + name + ' — ' + e.status + (e.error ? ' (' + e.error.code + ': ' + e.error.detail + ')' : '');
  table('steps', ['+s', 'event', 'state', 'detail'], e.events.map((ev) =>
    '<tr><td>' + ((ev.time - e.startedAt) / 1000).toFixed(3) + '</td><td class="' + (/Failed|TimedOut/.test(ev.type) ? 'bad' : /Succeeded/.test(ev.type) ? 'ok' : '') + '">' + esc(ev.type) +
    '</td><td>' + esc(ev.stepName) + '</td><td><code>' + esc(short(ev.detail)) + '</code></td></tr>'));
}
async function runTimer(fn, trigger) {
  await fetch('/_local/api/timers/' + encodeURIComponent(fn) + '/' + encodeURIComponent(trigger) + '/run', { method: 'POST' });
  refresh();
}
async function stopTask(fn, taskId) {
  const r = await fetch('/_local/api/async/' + encodeURIComponent(taskId) + '/stop?fn=' + encodeURIComponent(fn), { method: 'POST' });
  const body = await r.json();
  const note = document.getElementById('async-note');
  note.hidden = false;
  note.className = r.ok ? '' : 'bad';
  note.textContent = r.ok ? 'stop ' + fn + ' / ' + taskId + ': ' + body.taskStatus : 'cannot stop ' + taskId + ': ' + body.error.message;
  refresh();
}
async function peekQueue(name) {
  const q = await get('queues/' + encodeURIComponent(name));
  const b64 = (s) => { try { const t = atob(s); return /^[\\x20-\\x7e\\s]*$/.test(t) ? t : s; } catch { return s; } };
  const line = (m) => m.messageId + '  dequeued ' + m.dequeueCount + 'x' + (m.deadLetterSource ? '  from ' + m.deadLetterSource : '') + '\\n  ' + b64(m.body).slice(0, 400);
  const peek = document.getElementById('peek');
  peek.hidden = false;
  peek.textContent = q.name + ': ' + q.activeMessages + ' active, ' + q.inactiveMessages + ' in flight, ' + q.delayMessages + ' delayed\\n\\n--- next messages ---\\n' +
    (q.messages.map(line).join('\\n') || '(none)') + '\\n--- dead-lettered here ---\\n' + (q.deadLettered.map(line).join('\\n') || '(none)');
}
async function redrive(name) {
  const r = await fetch('/_local/api/queues/' + encodeURIComponent(name) + '/redrive', { method: 'POST' }).then((res) => res.json());
  document.getElementById('peek').hidden = false;
  document.getElementById('peek').textContent = 'redrive ' + name + ': ' + r.moved + ' message(s) sent back to their source queue';
  refresh();
}
// When npm start stops (or restarts), say so and grey out what the tables last showed, rather than keep
// "refreshing" old numbers in silence; the next answer clears it.
function reachable(ok) {
  const status = document.getElementById('status');
  status.textContent = ok ? 'refreshes every 2 s' : 'cannot reach the local cloud (is npm start running?): showing what it last said, retrying';
  status.classList.toggle('bad', !ok);
  document.querySelector('main').classList.toggle('stale', !ok);
}
async function refresh() {
  let answers;
  try {
    answers = await Promise.all([get('functions'), get('invocations?limit=40'), get('async?limit=20'), get('timers'), get('streams'), get('tables'), get('buckets'), get('queues'), get('topics'), get('executions?limit=30')]);
  } catch {
    return reachable(false);
  }
  reachable(true);
  const [fns, invs, asyncs, timers, streams, tables, buckets, queues, topics, executions] = answers;
  table('executions', ['started', 'flow', 'execution', 'status', 'now at'], executions.map((x) =>
    '<tr class="pick" tabindex="0" data-flow="' + esc(x.flow) + '" data-execution="' + esc(x.name) + '"><td>' + time(x.startedAt) + '</td><td>' + esc(x.flow) + '</td><td>' + esc(x.name) +
    '</td><td class="' + cls(x.status) + '">' + esc(x.status) + '</td><td>' + esc(x.waitingOn.map((w) => w.state + ' (' + w.phase + ')').join(', ')) + '</td></tr>'));
  if (shownExecution) showExecution(shownExecution[0], shownExecution[1]);
  table('invocations', ['time', 'function', 'source', 'status', 'ms', 'cold'], invs.map((r) =>
    '<tr class="pick" tabindex="0" data-id="' + esc(r.requestId) + '"><td>' + time(r.startedAt) + '</td><td>' + esc(r.resource) + '</td><td>' + esc(r.source) +
    '</td><td class="' + cls(r.status) + '">' + esc(r.status) + '</td><td>' + r.durationMs + '</td><td>' + (r.coldStart ? 'yes' : '') + '</td></tr>'));
  table('functions', ['function', 'memory', 'timeout', 'instances', 'triggers'], fns.map((f) =>
    '<tr><td>' + esc(f.resource) + '</td><td>' + f.memorySize + ' MB</td><td>' + f.timeout + ' s</td><td>' + f.instances + (f.busy ? ' (' + f.busy + ' busy)' : '') +
    '</td><td>' + esc(f.triggers.map((t) => t.type + ':' + t.name).join(', ')) + '</td></tr>'));
  table('timers', ['function', 'trigger', 'schedule', 'next run', ''], timers.map((t) =>
    '<tr><td>' + esc(t.resource) + '</td><td>' + esc(t.trigger.name) + '</td><td><code>' + esc(t.trigger.cronExpression) + '</code></td><td>' + esc(t.nextRun ? new Date(t.nextRun).toLocaleString() : 'disabled') +
    '</td><td><button data-fn="' + esc(t.function) + '" data-trigger="' + esc(t.trigger.name) + '">Run now</button></td></tr>'));
  // A task-mode function's events are async tasks (D159): their id and FC's task status, and Stop while one may be stopped.
  table('async', ['updated', 'function', 'source', 'status', 'task', 'attempts', 'last error', ''], asyncs.map((a) =>
    '<tr><td>' + time(a.updated_at) + '</td><td>' + esc(a.function_name) + '</td><td>' + esc(a.source) + '</td><td class="' + cls(a.status) + '">' + esc(a.status) +
    '</td><td>' + (a.task_id ? '<code>' + esc(a.task_id) + '</code> <span class="' + taskCls(a.task_status) + '" data-testid="task-status">' + esc(a.task_status) + '</span>' : '') +
    '</td><td>' + a.attempts + '</td><td>' + esc(a.last_error) +
    '</td><td>' + (STOPPABLE.includes(a.task_status) ? '<button data-stop-task="' + esc(a.task_id) + '" data-task-fn="' + esc(a.function_name) + '">Stop</button>' : '') + '</td></tr>'));
  table('streams', ['function', 'trigger', 'table', 'failing', 'problem'], streams.map((s) =>
    '<tr><td>' + esc(s.function) + '</td><td>' + esc(s.trigger) + '</td><td>' + esc(s.table) + '</td><td class="' + (s.failures ? 'bad' : '') + '">' + (s.failures || '') + '</td><td class="muted">' + esc(s.problem) + '</td></tr>'));
  table('tables', ['instance', 'table', 'rows', 'TTL', 'stream', 'search indexes'], tables.map((t) =>
    '<tr><td>' + esc(t.instance) + '</td><td>' + esc(t.name) + '</td><td>' + t.rows + '</td><td>' + (t.ttlSeconds > 0 ? ttlText(t.ttlSeconds) : '') + '</td><td>' + (t.stream ? 'on' : '') + '</td><td>' + esc(t.searchIndexes.join(', ')) + '</td></tr>'));
  table('buckets', ['bucket', 'versioning', 'objects (first keys)', 'count'], buckets.map((b) =>
    '<tr><td>' + esc(b.name) + '</td><td>' + versioningText(b.versioning) + '</td><td><code>' + b.objects.slice(0, 8).map((o) => esc(o.key) + ' (' + o.size + ' B)').join('<br>') + '</code></td><td>' + b.objects.length + '</td></tr>'));
  table('queues', ['queue', 'active', 'in flight', 'delayed', 'dead letters to', 'dead-letter queue of', ''], queues.map((q) =>
    '<tr><td>' + esc(q.name) + '</td><td>' + q.activeMessages + '</td><td>' + q.inactiveMessages + '</td><td>' + q.delayMessages +
    '</td><td>' + (q.dlqPolicy ? esc(q.dlqPolicy.deadLetterTargetQueue) + ' after ' + q.dlqPolicy.maxReceiveCount + ' receives' : '') +
    '</td><td class="' + (q.deadLettered ? 'bad' : '') + '">' + esc(q.deadLetterFor.join(', ')) + (q.deadLettered ? ' (' + q.deadLettered + ' dead-lettered)' : '') +
    '</td><td><button data-peek="' + esc(q.name) + '">Peek</button>' + (q.deadLettered ? ' <button data-redrive="' + esc(q.name) + '">Redrive</button>' : '') + '</td></tr>'));
  table('topics', ['topic', 'published', 'subscriptions'], topics.map((t) =>
    '<tr><td>' + esc(t.name) + '</td><td>' + t.messageCount + '</td><td>' + t.subscriptions.map((s) => esc(s.name) + ' → <code>' + esc(s.endpoint) + '</code> ' + esc(s.notifyContentFormat) + (s.filterTag ? ' [' + esc(s.filterTag) + ']' : '')).join('<br>') + '</td></tr>'));
}
document.addEventListener('click', (e) => {
  const row = e.target.closest('tr.pick'); if (row && row.dataset.id) showInvocation(row.dataset.id);
  if (row && row.dataset.execution) showExecution(row.dataset.flow, row.dataset.execution);
  const button = e.target.closest('button[data-fn]'); if (button) runTimer(button.dataset.fn, button.dataset.trigger);
  const peek = e.target.closest('button[data-peek]'); if (peek) peekQueue(peek.dataset.peek);
  const back = e.target.closest('button[data-redrive]'); if (back) redrive(back.dataset.redrive);
  const stop = e.target.closest('button[data-stop-task]'); if (stop) stopTask(stop.dataset.taskFn, stop.dataset.stopTask);
});
document.addEventListener('keydown', (e) => {
  const row = e.target.closest && e.target.closest('tr.pick'); if (!row || e.key !== 'Enter') return;
  if (row.dataset.execution) showExecution(row.dataset.flow, row.dataset.execution); else showInvocation(row.dataset.id);
});
refresh(); setInterval(refresh, 2000);
</script>
</body>
</html>`;
