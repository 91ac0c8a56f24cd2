/**
 * The MNS emulator's storage: message bodies live apart from the message state (a receive rewrites a small row,
 * not a 64 KB one), and a data folder written before that split opens with its messages intact — received,
 * deleted and dead-lettered with the bodies they were sent with, through the official SDK.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import MNS from '@alicloud/mns';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { QUEUE_DEFAULTS, startMnsEmulator, type MnsEmulator } from '../../scripts/local/emulators/mns';
import { tempDir } from '../helpers/temp';

const REGION = 'cn-hangzhou';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The schema of mns.sqlite before bodies moved to their own table, with one queue and two messages. */
function writeOldDataFolder(dataDir: string, now: number): void {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'mns.sqlite'));
  db.exec(`
    CREATE TABLE mns_queues (
      name TEXT PRIMARY KEY, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL,
      delay_seconds INTEGER NOT NULL, max_message_size INTEGER NOT NULL, retention_seconds INTEGER NOT NULL,
      visibility_timeout INTEGER NOT NULL, polling_wait_seconds INTEGER NOT NULL, logging_enabled INTEGER NOT NULL,
      dlq_target TEXT, dlq_max_receive INTEGER);
    CREATE TABLE mns_messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, message_id TEXT NOT NULL, body TEXT NOT NULL,
      body_md5 TEXT NOT NULL, priority INTEGER NOT NULL, enqueue_time INTEGER NOT NULL, visible_at INTEGER NOT NULL,
      first_dequeue_time INTEGER NOT NULL DEFAULT 0, dequeue_count INTEGER NOT NULL DEFAULT 0, receipt_handle TEXT,
      expires_at INTEGER NOT NULL, dead_letter_source TEXT);
    CREATE INDEX mns_messages_order ON mns_messages (queue, priority, seq);`);
  db.prepare('INSERT INTO mns_queues VALUES (?, ?, ?, 0, 65536, 345600, 30, 0, 0, NULL, NULL)').run('kept', now, now);
  const insert = db.prepare('INSERT INTO mns_messages (queue, message_id, body, body_md5, priority, enqueue_time, visible_at, expires_at) VALUES (?, ?, ?, ?, 8, ?, ?, ?)');
  insert.run('kept', 'OLD-1', b64('first, sent before the upgrade'), 'MD5-1', now - 2, now - 2, now + 3_600_000);
  insert.run('kept', 'OLD-2', b64('second'), 'MD5-2', now - 1, now - 1, now + 3_600_000);
  db.close();
}

describe('MNS emulator storage', () => {
  const dir = tempDir('mns-storage-');
  let mns: MnsEmulator | undefined;
  afterEach(async () => {
    await mns?.close();
    mns = undefined;
  });
  afterAll(() => dir.cleanup());

  const start = (dataDir: string) => startMnsEmulator({ dataDir, region: REGION, port: 0 });
  const sdk = (emulator: MnsEmulator) => new MNS(LOCAL_ACCOUNT_ID, { region: REGION, endpoint: emulator.endpoint, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret, securityToken: LOCAL_CREDENTIALS.securityToken } as never);

  it('opens a data folder from before bodies had their own table, messages and bodies intact', async () => {
    const dataDir = join(dir.path, 'old');
    writeOldDataFolder(dataDir, Date.now());
    mns = await start(dataDir);
    const received = await sdk(mns).batchReceiveMessage('kept', 16, 0);
    const messages = received.body as unknown as { MessageId: string; MessageBody: string; ReceiptHandle: string }[];
    expect(messages.map((m) => [m.MessageId, Buffer.from(m.MessageBody, 'base64').toString()])).toEqual([
      ['OLD-1', 'first, sent before the upgrade'],
      ['OLD-2', 'second'],
    ]);
    await sdk(mns).batchDeleteMessage('kept', messages.map((m) => m.ReceiptHandle));
    await mns.close();
    // Opened again (already moved): nothing left, and new messages work.
    mns = await start(dataDir);
    expect(mns.queues.receive('kept', 16)).toEqual([]);
    mns.queues.send('kept', [{ body: 'after' }]);
    expect(mns.queues.receive('kept', 16).map((m) => m.body)).toEqual(['after']);
  });

  it('keeps bodies only for messages that exist: deleted messages and dropped queues leave none behind', async () => {
    const dataDir = join(dir.path, 'fresh');
    mns = await start(dataDir);
    mns.queues.createQueue('gone', QUEUE_DEFAULTS);
    mns.queues.createQueue('dlq', QUEUE_DEFAULTS);
    mns.queues.createQueue('src', { ...QUEUE_DEFAULTS, visibilityTimeout: 1, dlqPolicy: { deadLetterTargetQueue: 'dlq', maxReceiveCount: 1 } });
    const big = 'x'.repeat(60_000);
    mns.queues.send('gone', [{ body: big }, { body: big }]);
    mns.queues.send('src', [{ body: 'poison' }, { body: 'fine' }]);
    const [poison, fine] = mns.queues.receive('src', 2);
    mns.queues.deleteBatch('src', [fine!.receiptHandle]);
    mns.queues.deleteQueue('gone');
    expect(poison!.body).toBe('poison');
    await mns.close();

    const db = new Database(join(dataDir, 'mns.sqlite'), { readonly: true });
    const bodies = db.prepare('SELECT body FROM mns_bodies ORDER BY seq').all() as { body: string }[];
    db.close();
    // Only the received-but-not-deleted message is left.
    expect(bodies.map((b) => b.body)).toEqual(['poison']);
  });
});
