import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { LOCAL_CACHE_DIR, REPO_ROOT } from '../../scripts/local/paths';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * The README's examples as a new user runs them: every fenced block marked `<!-- readme-test -->` is pasted,
 * in the README's order, into one shell session in the repository's folder (a `js` block is saved as a file
 * and run with `node`), against a local cloud on free ports — the only edit is the port, as the README tells a
 * user on another PORT to make. Each block's output is checked against what the README says it prints.
 */
const run = promisify(execFile);
const MARKER = '<!-- readme-test -->';

interface Snippet {
  lang: string;
  code: string;
  /** 1-based line of the opening fence, for failure messages. */
  line: number;
  tested: boolean;
}

/** Every fenced block of a Markdown text, and whether the line before it is the test marker. */
function fencedBlocks(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const blocks: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: a code block that is never closed`);
    blocks.push({ lang: open[1]!, code: lines.slice(i + 1, end).join('\n'), line: i + 1, tested: lines[i - 1]?.trim() === MARKER });
    i = end;
  }
  return blocks;
}

/**
 * Blocks left out on purpose, by how they begin: the two commands themselves, a five-minute simulator run,
 * a deploy (it needs an Alibaba Cloud account), and a project of the reader's own (`npm start -- -t`: its run is
 * test/integration/own-project.test.ts, D154).
 */
const NOT_RUN = [/^npm install\n/, /^npm test\b/, /^npm run simulate:iot\b/, /^export AccountID=/, /^npm start -- -t \.\.\/my-app\//];

/** What each tested block prints, found by a line of its code. */
const EXPECTED: Array<{ code: RegExp; output: RegExp[] }> = [
  { code: /api\/products \| head -c 400/, output: [/"items":\[\{"productId":"p-/, /"client":"mobile"/, /"token":"ey/] },
  { code: /api\/uploads/, output: [/"imageId":"img_\w+"/, /"uploadUrl":"http:\/\/localhost:\d+\//, /"status":"(pending|ready)"/, /\{"hits":\[/] },
  { code: /api\/orders -H/, output: [/\{"orderId":"ord_\w+","status":"PENDING"\}/, /"timeline":\[/, /\{"orders":\[\{"orderId":"ord_/] },
  { code: /api\/iot\/events/, output: [/\{"accepted":2,"rejected":\[\]\}/, /"name":"greenhouse 1"/, /"metric":"temperature","unit":"°C","from":\d+,"to":\d+,"resolution":"raw","points":\[/, /"key":"reports\/rpt_\w+\.csv","url":"http/] },
  { code: /^curl -s localhost:9000\/_local\/api\/endpoints$/m, output: [/"tablestore":\{"endpoint":"http:\/\/127.0.0.1:\d+","instance":"fcsuite-dev"/] },
  { code: /listTable/, output: [/'images'/, /'order_events'/] },
  { code: /@alicloud\/mns/, output: [/^hello$/m, /^200 \{"ok":true,"data":\{"productId":"p-aurora-headphones"/m] },
  { code: /x-mns-version/, output: [/<Code>MessageNotExist<\/Code>/] },
  { code: /ali-oss/, output: [/^http:\/\/localhost:\d+\/fcsuite-dev-media\/hello\.txt\?/m, /^http:\/\/localhost:\d+\/fcsuite-dev-media\/photo\.jpg\?.*x-oss-process=image%2Fresize%2Cw_200/m] },
  { code: /fnf-2019-03-15/, output: [/^fcsuite-dev-order-saga order-ord_\w+ \w+$/m, /^ {3}1 ExecutionStarted/m] },
];

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const blocks = fencedBlocks(README);
const tested = blocks.filter((block) => block.tested);

describe('README examples', () => {
  it('marks every shell and JavaScript block for this test, except the few that cannot run here', () => {
    const unmarked = blocks.filter((b) => !b.tested && (b.lang === 'bash' || b.lang === 'js') && !NOT_RUN.some((p) => p.test(b.code)));
    expect(unmarked.map((b) => `README.md:${b.line}`)).toEqual([]);
    expect(tested.map((b) => EXPECTED.filter((e) => e.code.test(b.code)).length)).toEqual(tested.map(() => 1));
  });

  describe('pasted into a shell against the local cloud', () => {
    const dir = tempDir('readme-');
    // The shell runs in a folder inside the repository, so `node` finds the SDKs as it would in the README's folder.
    const work = join(LOCAL_CACHE_DIR, `readme-test-${process.pid}-${Date.now()}`);
    let cloud: LocalCloud;
    let outputs: string[] = [];

    beforeAll(async () => {
      // Warm, as `npm start` leaves it: the README's first request follows the start.
      cloud = await startLocalCloud({ port: 0, dataDir: join(dir.path, 'data'), prewarm: true, watch: false, env: {} });
      const endpoints = (await (await fetch(`${cloud.url}/_local/api/endpoints`)).json()) as { oss: { endpoint: string } };
      const ossPort = new URL(endpoints.oss.endpoint).port;
      const onThesePorts = (code: string) => code.replace(/\b(localhost|127\.0\.0\.1):9000\b/g, `$1:${cloud.port}`).replace(/\b(localhost|127\.0\.0\.1):9001\b/g, `$1:${ossPort}`);

      mkdirSync(work, { recursive: true });
      // "with a JPEG of yours as beach.jpg"
      await sharp({ create: { width: 640, height: 480, channels: 3, background: '#2a6f97' } }).jpeg().toFile(join(work, 'beach.jpg'));
      const session = tested.map((block, i) => {
        // On a line of its own, also after an answer that does not end with a newline (curl's).
        const mark = `printf '\\n@@ block ${i} @@\\n'`;
        if (block.lang === 'bash') return `${mark}\n${onThesePorts(block.code)}`;
        writeFileSync(join(work, `snippet-${i}.mjs`), onThesePorts(block.code));
        return `${mark}\nnode snippet-${i}.mjs`;
      });
      // stderr into the same stream, so a block's errors (`command not found`, a Node stack) are in its output.
      writeFileSync(join(work, 'session.sh'), `exec 2>&1\n${session.join('\n')}\nprintf '\\n@@ end @@\\n'\n`);
      const { stdout } = await run('bash', ['session.sh'], { cwd: work, env: { ...process.env, PORT: String(cloud.port) }, maxBuffer: 16 << 20 }).catch(
        (err: { stdout?: string; message: string }) => ({ stdout: `${err.stdout ?? ''}\n${err.message}` }),
      );
      if (!stdout.includes('@@ end @@')) throw new Error(`the README session stopped early:\n${stdout}`);
      outputs = stdout.replace(/\n@@ end @@\n$/, '').split(/\n@@ block \d+ @@\n/).slice(1);
      if (outputs.length !== tested.length) throw new Error(`${outputs.length} outputs for ${tested.length} blocks:\n${stdout}`);
    }, 120_000);
    afterAll(async () => {
      await cloud?.stop();
      rmSync(work, { recursive: true, force: true });
      dir.cleanup();
    });

    it.each(tested.map((block, i) => [`README.md:${block.line}`, i] as const))('%s prints what the README says', (_where, i) => {
      const block = tested[i]!;
      const output = outputs[i] ?? '';
      for (const pattern of EXPECTED.find((e) => e.code.test(block.code))!.output) expect({ output, has: pattern.test(output) }).toEqual({ output, has: true });
      // An API error, a shell error or a Node exception in any block.
      expect(output).not.toMatch(/\{"error":\{|command not found|No such file|Error: |^\s+at /m);
    });

    it('uploads the photo, which then becomes ready and searchable, as the README says', async () => {
      const imageId = /"imageId":"(img_\w+)"/.exec(outputs.join(''))![1]!;
      await eventually(async () => {
        const image = (await (await fetch(`${cloud.url}/api/images/${imageId}`)).json()) as { status: string };
        expect(image.status).toBe('ready');
        const search = (await (await fetch(`${cloud.url}/api/search?q=beach`)).json()) as { hits: Array<{ imageId: string }> };
        expect(search.hits.map((hit) => hit.imageId)).toContain(imageId);
      });
    });

    it('lists the console API at /_local/api/, and each listed read answers', async () => {
      const res = await fetch(`${cloud.url}/_local/api/`);
      expect(res.status).toBe(200);
      const { routes } = (await res.json()) as { routes: Array<{ method: string; path: string; what: string }> };
      expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /_local/api/endpoints', 'PUT /_local/api/functions/<function>/fault', 'GET /_local/api/queues']));
      // A read without a placeholder is called as it is listed (its query is optional).
      for (const { path } of routes.filter((r) => r.method === 'GET' && !r.path.includes('<'))) {
        const answer = await fetch(`${cloud.url}${path.replace(/\?.*$/, '')}`);
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
      }
    });

    it('gives links from oss.mjs that curl or a browser can open', async () => {
      const links = outputs.join('\n').match(/^http:\/\/localhost:\d+\/fcsuite-dev-media\/\S+$/gm)!;
      const [text, photo] = await Promise.all(links.map((link) => fetch(link)));
      expect([text!.status, await text!.text()]).toEqual([200, 'hi']);
      expect([photo!.status, photo!.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
      expect((await sharp(Buffer.from(await photo!.arrayBuffer())).metadata()).width).toBe(200);
    });
  });
});
