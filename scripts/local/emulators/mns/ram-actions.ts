/**
 * The RAM action and resource of an MNS XML API request (D144), as MNS's API reference names them: message
 * operations act on `acs:mns:<region>:<account>:/queues/<name>/messages` or `/topics/<name>/messages`, queue and
 * topic management on `/queues/<name>`, `/topics/<name>`, subscriptions on `/topics/<name>/subscriptions/<name>`.
 */
import type { AccessControl } from '../../ram/access';
import { MnsError } from './errors';

interface Target {
  method: string;
  segments: string[];
  query: Map<string, string>;
  body: Buffer;
}

const isBatch = (t: Target) => t.body.includes('<Messages') || t.body.includes('<ReceiptHandles');

function queueMessageAction(t: Target): string {
  if (t.method === 'POST') return isBatch(t) ? 'mns:BatchSendMessage' : 'mns:SendMessage';
  if (t.method === 'PUT') return 'mns:ChangeMessageVisibility';
  if (t.method === 'DELETE') return isBatch(t) ? 'mns:BatchDeleteMessage' : 'mns:DeleteMessage';
  const peek = t.query.get('peekonly') === 'true';
  const batch = t.query.has('numofmessages');
  return `mns:${batch ? 'Batch' : ''}${peek ? 'Peek' : 'Receive'}Message`;
}

const MANAGE: Record<string, string> = { PUT: 'Create', GET: 'Get', DELETE: 'Delete' };

/** `[action, resource path]` of a request the server routes; undefined for paths it refuses anyway. */
export function mnsRamTarget(t: Target): [string, string] | undefined {
  const [collection, name, sub, subName] = t.segments;
  if (collection !== 'queues' && collection !== 'topics') return undefined;
  const kind = collection === 'queues' ? 'Queue' : 'Topic';
  if (name === undefined) return [`mns:List${kind}`, `/${collection}`];
  const base = `/${collection}/${name}`;
  if (sub === 'messages') return [collection === 'queues' ? queueMessageAction(t) : 'mns:PublishMessage', `${base}/messages`];
  if (sub === 'subscriptions') {
    if (subName === undefined) return ['mns:ListSubscriptionByTopic', `${base}/subscriptions`];
    const verb = t.method === 'PUT' ? (t.query.has('metaoverride') ? 'mns:SetSubscriptionAttributes' : 'mns:Subscribe') : t.method === 'DELETE' ? 'mns:Unsubscribe' : 'mns:GetSubscriptionAttributes';
    return [verb, `${base}/subscriptions/${subName}`];
  }
  if (t.method === 'PUT' && t.query.has('metaoverride')) return [`mns:Set${kind}Attributes`, base];
  return [`mns:${MANAGE[t.method] ?? 'Get'}${kind}${t.method === 'GET' ? 'Attributes' : ''}`, base];
}

/** MNS's 403 AccessDenied (its XML error body) when the caller's role may not do this; nothing otherwise. */
export function checkMnsAccess(access: AccessControl | undefined, accessKeyId: string, t: Target): void {
  if (!access) return;
  const target = mnsRamTarget(t);
  if (!target) return;
  const denial = access.check(accessKeyId, target[0], `acs:mns:${access.region}:${access.accountId}:${target[1]}`);
  if (denial) throw new MnsError(403, 'AccessDenied', `You are not authorized to do this action (${denial.action}). ${denial.message}`);
}
