/**
 * TableStore service errors: an HTTP status plus a protobuf `Error{code, message}` body (tablestore.proto).
 * Codes, statuses and messages follow TableStore's error code reference
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/error-codes).
 */
export class OtsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'OtsError';
  }
}

export const parameterInvalid = (message: string) => new OtsError(400, 'OTSParameterInvalid', message);
export const conditionCheckFail = () => new OtsError(403, 'OTSConditionCheckFail', 'Condition check failed.');
export const authFailed = (message: string) => new OtsError(403, 'OTSAuthFailed', message);
export const objectNotExist = (table: string) => new OtsError(404, 'OTSObjectNotExist', `Requested table does not exist: ${table}.`);
export const invalidPk = () => new OtsError(400, 'OTSInvalidPK', 'Primary key schema mismatch.');
