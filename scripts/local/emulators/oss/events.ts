/**
 * OSS event notifications and the FC OSS-trigger event they become.
 * Record shape: FC "Formats of event for different triggers", OSS trigger
 * (https://www.alibabacloud.com/help/en/functioncompute/fc/formats-of-event-for-different-triggers-1), which
 * matches the Serverless Devs template `devsapp/fc-event` `event-template/oss.json`.
 */
import { createHash } from 'node:crypto';

export type OssEventName =
  | 'ObjectCreated:PutObject'
  | 'ObjectCreated:PostObject'
  | 'ObjectCreated:CopyObject'
  | 'ObjectCreated:CompleteMultipartUpload'
  | 'ObjectCreated:InitiateMultipartUpload'
  | 'ObjectCreated:UploadPart'
  | 'ObjectCreated:UploadPartCopy'
  | 'ObjectCreated:AppendObject'
  | 'ObjectCreated:PutSymlink'
  | 'ObjectRemoved:DeleteObject'
  | 'ObjectRemoved:DeleteObjects'
  | 'ObjectRemoved:AbortMultipartUpload';

/** What the emulator reports after each successful write or delete (one per object). */
export interface OssNotification {
  eventName: OssEventName;
  bucket: string;
  key: string;
  /** Size of the object written, or of the object removed. */
  size: number;
  /** Change in stored bytes: new size minus the size of the object it replaced; negative for removals. */
  deltaSize: number;
  /** MD5-based ETag, upper-case hex without quotes (as in the FC event). */
  eTag: string;
  sourceIp: string;
  requestId: string;
  /** ISO 8601 with milliseconds, e.g. `2022-08-13T06:45:43.000Z`. */
  time: string;
}

/** One element of the `events` array FC delivers to a function with an OSS trigger. */
export interface OssEventRecord {
  eventName: OssEventName;
  eventSource: 'acs:oss';
  eventTime: string;
  eventVersion: '1.0';
  oss: {
    bucket: { arn: string; name: string; ownerIdentity: string };
    object: { deltaSize: number; eTag: string; key: string; size: number };
    ossSchemaVersion: '1.0';
    ruleId: string;
  };
  region: string;
  requestParameters: { sourceIPAddress: string };
  responseElements: { requestId: string };
  userIdentity: { principalId: string };
}

/** The whole event body FC passes to the handler (as a JSON Buffer). */
export interface OssEvent {
  events: OssEventRecord[];
}

/**
 * Builds the FC OSS-trigger record for a notification.
 * `ruleId` is the notification rule FC created for the trigger; when not given, a stable 40-hex id derived
 * from the bucket stands in for it.
 * @example buildOssEventRecord(n, { region: 'cn-hangzhou', accountId: '1000000000000001' }).oss.bucket.arn
 * // 'acs:oss:cn-hangzhou:1000000000000001:<bucket>'
 */
export function buildOssEventRecord(n: OssNotification, options: { region: string; accountId: string; ruleId?: string }): OssEventRecord {
  return {
    // FC's records carry the bare name; only trigger configs use the `oss:` prefix.
    eventName: n.eventName,
    eventSource: 'acs:oss',
    eventTime: n.time,
    eventVersion: '1.0',
    oss: {
      bucket: { arn: `acs:oss:${options.region}:${options.accountId}:${n.bucket}`, name: n.bucket, ownerIdentity: options.accountId },
      object: { deltaSize: n.deltaSize, eTag: n.eTag, key: n.key, size: n.size },
      ossSchemaVersion: '1.0',
      ruleId: options.ruleId ?? createHash('sha1').update(`oss-trigger:${n.bucket}`).digest('hex'),
    },
    region: options.region,
    requestParameters: { sourceIPAddress: n.sourceIp },
    responseElements: { requestId: n.requestId },
    userIdentity: { principalId: options.accountId },
  };
}

/** `{ events: [record] }`: FC delivers one record per notification. */
export function buildOssEvent(n: OssNotification, options: { region: string; accountId: string; ruleId?: string }): OssEvent {
  return { events: [buildOssEventRecord(n, options)] };
}

export interface OssTriggerFilter {
  /** Trigger event patterns as in s.yaml, e.g. `oss:ObjectCreated:*`, `oss:ObjectRemoved:DeleteObject`. */
  events: string[];
  prefix?: string;
  suffix?: string;
}

/**
 * Whether an OSS trigger with these events and key filter fires for a notification.
 * A pattern matches its exact event name, or every name under it when it ends in `:*`.
 * @example matchesOssTrigger(n, { events: ['oss:ObjectCreated:*'], prefix: 'uploads/', suffix: '.png' })
 */
export function matchesOssTrigger(n: OssNotification, filter: OssTriggerFilter): boolean {
  const key = n.key;
  if (filter.prefix && !key.startsWith(filter.prefix)) return false;
  if (filter.suffix && !key.endsWith(filter.suffix)) return false;
  const name = `oss:${n.eventName}`;
  return filter.events.some((pattern) => {
    if (pattern === name) return true;
    if (pattern.endsWith(':*')) return name.startsWith(pattern.slice(0, -1));
    return false;
  });
}
