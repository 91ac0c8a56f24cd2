import type { Logger } from '../log';
import type { Clock, Sleep } from '../ports/clock';
import type { Table } from '../ports/table';

/** What every saga step needs: the tables (event log, projections, stock) and time. */
export interface StepDeps {
  table: Table;
  clock: Clock;
  log: Logger;
}

/** Steps that touch stock also back off between lost races. */
export interface StockStepDeps extends StepDeps {
  sleep: Sleep;
  random?: () => number;
}
