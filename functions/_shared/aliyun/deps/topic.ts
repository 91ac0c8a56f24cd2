import type { FcContext } from '../../fc/types';
import type { Topic } from '../../ports/topic';
import { perCredential } from '../mns-client';
import { MnsTopic } from '../mns-topic';

/**
 * MNS topics through `@alicloud/mns`, wired like `queueFor`.
 * @example await topicFor(context).publish('alerts', { body: JSON.stringify(alert), tag: 'critical' });
 */
export const topicFor: (context: FcContext, env?: NodeJS.ProcessEnv) => Topic = perCredential((client) => new MnsTopic(client));
