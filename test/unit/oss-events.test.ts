/**
 * The OSS emulator's notifications become exactly the record FC delivers for an OSS trigger
 * (reference: FC "formats of event for different triggers", OSS trigger), and trigger filters match like FC's.
 */
import { buildOssEvent, buildOssEventRecord, matchesOssTrigger, type OssNotification } from '../../scripts/local/emulators/oss';

/** The documented sample, verbatim (masked digits kept). */
const DOCUMENTED_RECORD = {
  eventName: 'ObjectCreated:PutObject',
  eventSource: 'acs:oss',
  eventTime: '2022-08-13T06:45:43.000Z',
  eventVersion: '1.0',
  oss: {
    bucket: { arn: 'acs:oss:cn-hangzhou:164901546557****:testbucket', name: 'testbucket', ownerIdentity: '164901546557****' },
    object: { deltaSize: 122539, eTag: '688A7BF4F233DC9C88A80BF985AB****', key: 'source/a.png', size: 122539 },
    ossSchemaVersion: '1.0',
    ruleId: '9adac8e253828f4f7c0466d941fa3db81161****',
  },
  region: 'cn-hangzhou',
  requestParameters: { sourceIPAddress: '140.205.XX.XX' },
  responseElements: { requestId: '58F9FF2D3DF792092E12044C' },
  userIdentity: { principalId: '164901546557****' },
};

function notification(overrides: Partial<OssNotification> = {}): OssNotification {
  return {
    eventName: 'ObjectCreated:PutObject',
    bucket: 'testbucket',
    key: 'source/a.png',
    size: 122539,
    deltaSize: 122539,
    eTag: '688A7BF4F233DC9C88A80BF985AB****',
    sourceIp: '140.205.XX.XX',
    requestId: '58F9FF2D3DF792092E12044C',
    time: '2022-08-13T06:45:43.000Z',
    ...overrides,
  };
}

describe('buildOssEventRecord', () => {
  it('reproduces the documented FC OSS-trigger record exactly', () => {
    const record = buildOssEventRecord(notification(), {
      region: 'cn-hangzhou',
      accountId: '164901546557****',
      ruleId: '9adac8e253828f4f7c0466d941fa3db81161****',
    });
    expect(record).toEqual(DOCUMENTED_RECORD);
    // Same key set at every level: nothing extra that a strict schema would reject.
    expect(JSON.parse(JSON.stringify(record))).toStrictEqual(DOCUMENTED_RECORD);
  });

  it('uses the bare event name (the `oss:` prefix belongs to trigger configs only)', () => {
    const record = buildOssEventRecord(notification({ eventName: 'ObjectRemoved:DeleteObject', size: 10, deltaSize: -10 }), {
      region: 'cn-shanghai',
      accountId: '1000000000000001',
    });
    expect(record.eventName).toBe('ObjectRemoved:DeleteObject');
    expect(record.oss.object).toEqual({ deltaSize: -10, eTag: '688A7BF4F233DC9C88A80BF985AB****', key: 'source/a.png', size: 10 });
    expect(record.oss.bucket.arn).toBe('acs:oss:cn-shanghai:1000000000000001:testbucket');
    expect(record.region).toBe('cn-shanghai');
  });

  it('derives a stable 40-hex ruleId per bucket when none is given', () => {
    const options = { region: 'cn-hangzhou', accountId: '1' };
    const a = buildOssEventRecord(notification(), options).oss.ruleId;
    expect(a).toMatch(/^[0-9a-f]{40}$/);
    expect(buildOssEventRecord(notification({ key: 'other' }), options).oss.ruleId).toBe(a);
    expect(buildOssEventRecord(notification({ bucket: 'otherbucket' }), options).oss.ruleId).not.toBe(a);
  });

  it('wraps one record per event in `events`, as FC delivers it', () => {
    const event = buildOssEvent(notification(), { region: 'cn-hangzhou', accountId: '164901546557****', ruleId: DOCUMENTED_RECORD.oss.ruleId });
    expect(event).toEqual({ events: [DOCUMENTED_RECORD] });
  });
});

describe('matchesOssTrigger', () => {
  const created = ['ObjectCreated:PutObject', 'ObjectCreated:PostObject', 'ObjectCreated:CopyObject', 'ObjectCreated:CompleteMultipartUpload'] as const;
  const removed = ['ObjectRemoved:DeleteObject', 'ObjectRemoved:DeleteObjects'] as const;

  it.each(created)('oss:ObjectCreated:* matches %s', (eventName) => {
    expect(matchesOssTrigger(notification({ eventName }), { events: ['oss:ObjectCreated:*'] })).toBe(true);
  });

  it.each(removed)('oss:ObjectCreated:* does not match %s', (eventName) => {
    expect(matchesOssTrigger(notification({ eventName }), { events: ['oss:ObjectCreated:*'] })).toBe(false);
  });

  it('matches exact event names only exactly', () => {
    const filter = { events: ['oss:ObjectRemoved:DeleteObject'] };
    expect(matchesOssTrigger(notification({ eventName: 'ObjectRemoved:DeleteObject' }), filter)).toBe(true);
    expect(matchesOssTrigger(notification({ eventName: 'ObjectRemoved:DeleteObjects' }), filter)).toBe(false);
    expect(matchesOssTrigger(notification({ eventName: 'ObjectCreated:PutObject' }), { events: ['ObjectCreated:PutObject'] })).toBe(false);
  });

  it('matches any of several patterns', () => {
    const filter = { events: ['oss:ObjectCreated:PutObject', 'oss:ObjectRemoved:*'] };
    expect(matchesOssTrigger(notification({ eventName: 'ObjectCreated:PutObject' }), filter)).toBe(true);
    expect(matchesOssTrigger(notification({ eventName: 'ObjectRemoved:DeleteObjects' }), filter)).toBe(true);
    expect(matchesOssTrigger(notification({ eventName: 'ObjectCreated:CopyObject' }), filter)).toBe(false);
  });

  it('applies prefix and suffix to the key', () => {
    const filter = { events: ['oss:ObjectCreated:*'], prefix: 'thumbs/', suffix: '/256.webp' };
    expect(matchesOssTrigger(notification({ key: 'thumbs/img_1/256.webp' }), filter)).toBe(true);
    expect(matchesOssTrigger(notification({ key: 'thumbs/img_1/1024.webp' }), filter)).toBe(false);
    expect(matchesOssTrigger(notification({ key: 'uploads/img_1/256.webp' }), filter)).toBe(false);
  });

  it('treats empty or absent prefix and suffix as "any key"', () => {
    expect(matchesOssTrigger(notification({ key: 'anything' }), { events: ['oss:ObjectCreated:*'], prefix: '', suffix: '' })).toBe(true);
    expect(matchesOssTrigger(notification({ key: 'anything' }), { events: ['oss:ObjectCreated:*'] })).toBe(true);
  });

  it('matches nothing without events', () => {
    expect(matchesOssTrigger(notification(), { events: [] })).toBe(false);
  });
});
