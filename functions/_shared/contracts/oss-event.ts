import * as z from 'zod';
import { parseJson, parseWith } from '../validation';

/**
 * The event FC passes to a function with an OSS trigger: `{events: [record]}`
 * (https://www.alibabacloud.com/help/en/functioncompute/fc/formats-of-event-for-different-triggers-1, and
 * the Serverless Devs template `devsapp/fc-event` `oss.json`). Only the fields the suite reads are required;
 * others (`virtualBucket`, future additions) pass through.
 */
export const OssEventRecord = z.looseObject({
  eventName: z.string(),
  eventSource: z.literal('acs:oss'),
  eventTime: z.string(),
  eventVersion: z.string(),
  oss: z.looseObject({
    bucket: z.looseObject({ arn: z.string(), name: z.string(), ownerIdentity: z.string() }),
    object: z.looseObject({ deltaSize: z.number(), eTag: z.string(), key: z.string(), size: z.number() }),
    ossSchemaVersion: z.string(),
    ruleId: z.string(),
  }),
  region: z.string(),
  requestParameters: z.looseObject({ sourceIPAddress: z.string() }),
  responseElements: z.looseObject({ requestId: z.string() }),
  userIdentity: z.looseObject({ principalId: z.string() }),
});
export type OssEventRecord = z.infer<typeof OssEventRecord>;

export const OssEvent = z.object({ events: z.array(OssEventRecord).min(1) });
export type OssEvent = z.infer<typeof OssEvent>;

/**
 * Decodes an OSS trigger event. A malformed event is a ValidationError: retrying cannot fix it.
 * @example const { events } = parseOssEvent(event); for (const r of events) console.log(r.oss.object.key);
 */
export function parseOssEvent(event: Buffer): OssEvent {
  return parseWith(OssEvent, parseJson(event.toString('utf8'), 'event'), 'event');
}

/** OSS sends keys as written; non-ASCII ones may arrive URL-encoded (reference §2.1), so decode defensively. */
export function objectKeyOf(record: OssEventRecord): string {
  const key = record.oss.object.key;
  if (!/%[0-9A-Fa-f]{2}/.test(key)) return key;
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}
