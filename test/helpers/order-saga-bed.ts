import { join } from 'node:path';
import { ConflictError, NotFoundError } from '#shared/errors';
import type { FcHandler } from '#shared/fc/types';
import type { WorkflowClient } from '#shared/ports/workflow-client';
import { FlowApiError } from '../../scripts/local/flow-engine/errors';
import { createFlowTestbed, loadFlowFromSpec, type FlowTestbed, type TaskHandler } from '../../scripts/local/flow-engine/testbed';
import { createHandler as chargeHandler } from '../../functions/charge-payment/handler';
import { createHandler as checkHandler } from '../../functions/check-payment-status/handler';
import { createHandler as shipmentHandler } from '../../functions/create-shipment/handler';
import { createHandler as failedHandler } from '../../functions/order-failed/handler';
import { createHandler as succeededHandler } from '../../functions/order-succeeded/handler';
import { createHandler as refundHandler } from '../../functions/refund-payment/handler';
import { createHandler as releaseHandler } from '../../functions/release-inventory/handler';
import { createHandler as reserveHandler } from '../../functions/reserve-inventory/handler';
import { fakeContext } from './fakes';
import type { OrderWorld } from './order-world';

/**
 * `flows/order-saga.yaml` on the flow engine's test bed (virtual time), its tasks answered by the steps'
 * real handlers over an order world (memory tables, the real payment sandbox and callback). The world's
 * workflow calls (StartExecution from order-api, reports from payment-callback and charge-payment) go to
 * this bed's engine, so a test drives a whole order: place it, let the sandbox settle, deliver its
 * webhook, move time.
 */
/** FC function names of the saga's steps, as s.yaml names them by default (prefix fcsuite-dev). */
export const fn = (step: string) => `fcsuite-dev-${step}`;

/** The flow as s.yaml deploys it (`${yaml(file('./flows/order-saga.yaml'))}`, variables rendered). */
export function orderSagaDefinition(): string {
  return loadFlowFromSpec(join(__dirname, '..', '..', 's.yaml'), 'order-saga');
}

/** A task handler that runs an FC handler as FC would: the body as the event, a thrown error as the task's error. */
function viaHandler(handler: FcHandler): TaskHandler {
  return (event) => handler(Buffer.from(JSON.stringify(event ?? {})), fakeContext());
}

export interface SagaBed {
  bed: FlowTestbed;
  /** Names the world's StartExecution calls use. */
  flowName: string;
  /** Crash and restart the engine over the same store and clock; the world then talks to the new one. */
  restart(): Promise<FlowTestbed>;
}

/** `adjust` may wrap or replace the real task handlers (to inject FC failures, for instance). */
export function createSagaBed(world: OrderWorld, adjust: (tasks: Record<string, TaskHandler>) => Record<string, TaskHandler> = (t) => t): SagaBed {
  const deps = () => world.stepDeps;
  const real: Record<string, TaskHandler> = {
    [fn('reserve-inventory')]: viaHandler(reserveHandler(deps)),
    [fn('charge-payment')]: viaHandler(chargeHandler(deps)),
    [fn('check-payment-status')]: viaHandler(checkHandler(deps)),
    [fn('create-shipment')]: viaHandler(shipmentHandler(deps)),
    [fn('order-succeeded')]: viaHandler(succeededHandler(deps)),
    [fn('refund-payment')]: viaHandler(refundHandler(deps)),
    [fn('release-inventory')]: viaHandler(releaseHandler(deps)),
    [fn('order-failed')]: viaHandler(failedHandler(deps)),
  };
  // The steps' table calls are real I/O to an emulator: settle() waits for them.
  const bed = createFlowTestbed({ definition: orderSagaDefinition(), tasks: adjust(real), busy: () => world.table.inFlight() > 0 });
  world.routeWorkflow(bedClient(bed));
  world.apiDeps.flowName = bed.flowName;
  const saga: SagaBed = {
    bed,
    flowName: bed.flowName,
    async restart() {
      saga.bed = await saga.bed.restart();
      world.routeWorkflow(bedClient(saga.bed));
      return saga.bed;
    },
  };
  return saga;
}

/** The WorkflowClient port over the bed's engine, with the FnF adapter's error mapping. */
function bedClient(bed: FlowTestbed): WorkflowClient {
  const mapped = <T>(call: () => T): T => {
    try {
      return call();
    } catch (err) {
      if (err instanceof FlowApiError) {
        if (err.code === 'TaskAlreadyCompleted' || err.code === 'ExecutionAlreadyCompleted') throw new ConflictError(err.message, err.code);
        if (err.code === 'ExecutionNotExists' || /TaskToken/.test(err.message)) throw new NotFoundError(err.message);
      }
      throw err;
    }
  };
  return {
    async startExecution(flowName, executionName, input) {
      try {
        const { started } = bed.engine.startExecution(flowName, executionName, input);
        return { executionName, alreadyExisted: !started };
      } catch (err) {
        if (err instanceof FlowApiError && err.code === 'ExecutionAlreadyExists') return { executionName, alreadyExisted: true };
        throw err;
      }
    },
    async describeExecution(flowName, executionName) {
      const doc = bed.engine.describeExecution(flowName, executionName);
      return { flowName, executionName, status: doc.status, input: JSON.stringify(doc.input), startedTime: new Date(doc.startedAt).toISOString() };
    },
    async reportTaskSucceeded(token, output) {
      mapped(() => bed.engine.reportTaskSucceeded(token, output));
    },
    async reportTaskFailed(token, error, cause) {
      mapped(() => bed.engine.reportTaskFailed(token, error, cause));
    },
  };
}
