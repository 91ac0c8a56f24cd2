import { SpecError } from './errors';
import type { AppSpec } from './model';
import { undeclaredHint } from './ros';

/**
 * What a deploy would fail on too: MNS triggers, destinations, subscriptions and dead-letter policies that name
 * a queue or topic the ROS template does not declare.
 */
export function checkMnsReferences(spec: AppSpec): SpecError[] {
  const errors: SpecError[] = [];
  const queues = new Set(spec.infra.queues.map((q) => q.name));
  const topics = new Set(spec.infra.topics.map((t) => t.name));
  const rosType = (kind: 'queue' | 'topic') => `ALIYUN::MNS::${kind === 'queue' ? 'Queue' : 'Topic'}`;
  const undeclared = (kind: 'queue' | 'topic', name: string) => `${kind} "${name}" is not declared in the ROS template (${rosType(kind)})`;
  // A function's reference to what no template declares: with where to declare it (D154).
  const missing = (path: string, kind: 'queue' | 'topic', name: string) => new SpecError(path, undeclared(kind, name), undeclaredHint(spec, rosType(kind), name));
  for (const fn of spec.functions) {
    fn.triggers.forEach((trigger, i) => {
      const path = `resources.${fn.resource}.props.triggers[${i}]`;
      if (trigger.type === 'mns_topic' && !topics.has(trigger.topic)) errors.push(missing(`${path}.sourceArn`, 'topic', trigger.topic));
      if (trigger.type === 'eventbridge' && !queues.has(trigger.queue)) {
        errors.push(missing(`${path}.triggerConfig.eventSourceConfig.eventSourceParameters.sourceMNSParameters.QueueName`, 'queue', trigger.queue));
      }
    });
    for (const [kind, dest] of Object.entries({ onSuccess: fn.asyncInvokeConfig?.onSuccess, onFailure: fn.asyncInvokeConfig?.onFailure })) {
      const path = `resources.${fn.resource}.props.asyncInvokeConfig.destinationConfig.${kind}.destination`;
      if (dest?.kind === 'mns-queue' && !queues.has(dest.queue)) errors.push(missing(path, 'queue', dest.queue));
      if (dest?.kind === 'mns-topic' && !topics.has(dest.topic)) errors.push(missing(path, 'topic', dest.topic));
    }
  }
  for (const q of spec.infra.queues) {
    if (q.dlqPolicy && !queues.has(q.dlqPolicy.deadLetterTargetQueue)) errors.push(new SpecError(`ros queue ${q.name}.DlqPolicy.DeadLetterTargetQueue`, undeclared('queue', q.dlqPolicy.deadLetterTargetQueue)));
    if (q.dlqPolicy?.deadLetterTargetQueue === q.name) errors.push(new SpecError(`ros queue ${q.name}.DlqPolicy.DeadLetterTargetQueue`, 'a queue cannot be its own dead-letter queue'));
  }
  for (const s of spec.infra.subscriptions) {
    const path = `ros subscription ${s.topic}/${s.name}`;
    if (!topics.has(s.topic)) errors.push(new SpecError(`${path}.TopicName`, undeclared('topic', s.topic)));
    const target = /:\/?queues\/([^/]+)$/.exec(s.endpoint)?.[1];
    if (s.endpoint.startsWith('acs:mns:') && target && !queues.has(target)) errors.push(new SpecError(`${path}.Endpoint`, undeclared('queue', target)));
    if (s.deadLetterQueue && !queues.has(s.deadLetterQueue)) errors.push(new SpecError(`${path}.DlqPolicy.DeadLetterTargetQueue`, undeclared('queue', s.deadLetterQueue)));
  }
  return errors;
}
