/**
 * The errors saga steps throw. FC reports a thrown error's type by its name and CloudFlow's `Retry` and
 * `Catch` rules match on it (flows/order-saga.yaml), so each class is named exactly as the error it is
 * (class name = `name`, whichever of the two the runtime reads).
 */
export abstract class StepError extends Error {
  /** Whether the flow retries it (with backoff) before it compensates. */
  abstract readonly retryable: boolean;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Not enough stock for a line: compensate, never retry. */
export class OutOfStock extends StepError {
  readonly retryable = false;
}

/** The provider declined the card. */
export class PaymentDeclined extends StepError {
  readonly retryable = false;
}

/** The payment provider could not be reached or failed on its side: retried with backoff. */
export class PaymentProviderUnavailable extends StepError {
  readonly retryable = true;
}

/** The carrier refused the parcel: refund and release. */
export class ShipmentRejected extends StepError {
  readonly retryable = false;
}

/** Concurrent writers kept winning (stock rows, the event log): try again shortly. */
export class Contention extends StepError {
  readonly retryable = true;
}

/** A step was started for an order that does not exist (a hand-started execution with a wrong id). */
export class OrderNotFound extends StepError {
  readonly retryable = false;
}

/** The task's input does not match the step's contract (a flow definition and a function out of step). */
export class InvalidStepInput extends StepError {
  readonly retryable = false;
}
