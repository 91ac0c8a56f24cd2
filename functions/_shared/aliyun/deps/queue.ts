import type { FcContext } from '../../fc/types';
import type { Queue } from '../../ports/queue';
import { perCredential } from '../mns-client';
import { MnsQueue } from '../mns-queue';

/**
 * MNS queues through `@alicloud/mns`: the function role's STS credentials, the context's region and account,
 * and `MNS_ENDPOINT` when set (the local cloud's MNS emulator).
 * @example const queue = queueFor(context); await queue.sendBatch('iot-readings', messages);
 */
export const queueFor: (context: FcContext, env?: NodeJS.ProcessEnv) => Queue = perCredential((client) => new MnsQueue(client));
