/**
 * TableStore service errors: an HTTP status plus a protobuf `Error{code, message}` body (tablestore.proto).
 * Codes, statuses and messages follow TableStore's error code reference
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/error-codes); where the reference gives
 * no message for a case the emulator words one itself, always naming the field or operation.
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
export const objectAlreadyExist = (what: string) => new OtsError(409, 'OTSObjectAlreadyExist', `Requested table already exists: ${what}.`);
/** `detail` in TableStore's words: "Validate PK type fail. Input: VT_STRING, Meta: VT_BLOB." (its FAQ), and the same for size and name. */
export const invalidPk = (detail: string) => new OtsError(400, 'OTSInvalidPK', detail);
export const trimmedDataAccess = () => new OtsError(404, 'OTSTrimmedDataAccess', 'Requested stream data is already trimmed or does not exist.');
export const requestBodyTooLarge = () => new OtsError(413, 'OTSRequestBodyTooLarge', 'The size of POST data is too large.');
export const methodNotAllowed = () => new OtsError(405, 'OTSMethodNotAllowed', 'Only POST method for requests is supported.');
export const quotaExhausted = (message: string) => new OtsError(403, 'OTSQuotaExhausted', message);

/**
 * A TableStore feature the emulator does not implement: refused by name rather than ignored, so nothing
 * silently behaves differently from the cloud.
 */
export function notEmulated(feature: string): OtsError {
  return parameterInvalid(`${feature} is not supported by the local TableStore emulator.`);
}
