/**
 * OSS error responses: `<Error><Code/><Message/><RequestId/><HostId/>…</Error>` with the HTTP status OSS uses.
 * Codes and messages follow the OSS error centre (https://www.alibabacloud.com/help/en/oss/support/) so that
 * ali-oss turns them into the same `err.code` / `err.status` it produces against the cloud.
 */
export class OssError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra child elements of `<Error>` (OSS adds e.g. `Key`, `BucketName`, `StringToSign`). */
  readonly extra: Record<string, string>;
  /** OSS's fine-grained error code (`EC`, also sent as `x-oss-ec`) where the error centre documents one. */
  readonly ec: string | undefined;
  /** Response headers OSS sends with this error (a delete marker's `x-oss-delete-marker` and `x-oss-version-id`). */
  headers: Record<string, string> = {};

  constructor(status: number, code: string, message: string, extra: Record<string, string> = {}, ec?: string) {
    super(message);
    this.name = 'OssError';
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.ec = ec;
  }
}

export const ossErrors = {
  noSuchBucket: (bucket: string) =>
    new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket }, '0015-00000101'),
  noSuchKey: (key: string) => new OssError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }, '0026-00000001'),
  noSuchVersion: (key: string, versionId: string) =>
    new OssError(404, 'NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: versionId }),
  noSuchUpload: (uploadId: string) =>
    new OssError(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId }),
  invalidBucketName: (bucket: string) =>
    new OssError(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: bucket }),
  bucketAlreadyExists: (bucket: string) =>
    new OssError(409, 'BucketAlreadyExists', 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.', { BucketName: bucket }),
  bucketNotEmpty: (bucket: string) =>
    new OssError(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty.', { BucketName: bucket }),
  invalidObjectName: (message = 'The name of the object is invalid.') => new OssError(400, 'InvalidObjectName', message),
  invalidArgument: (message: string, name?: string, value?: string, ec?: string) =>
    new OssError(400, 'InvalidArgument', message, name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' }, ec),
  missingArgument: (name: string, ec?: string) =>
    new OssError(400, 'MissingArgument', `Missing Some Required Arguments: ${name}.`, { ArgumentName: name }, ec),
  malformedXml: (message = 'The XML you provided was not well-formed or did not validate against our published schema.') =>
    new OssError(400, 'MalformedXML', message, {}, '0031-00000001'),
  invalidDigest: (message = 'The Content-MD5 you specified was invalid.') => new OssError(400, 'InvalidDigest', message),
  entityTooLarge: (max: number) =>
    new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', { MaxAllowedSize: String(max) }),
  entityTooSmall: () =>
    new OssError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.'),
  invalidPart: (partNumber: number) =>
    new OssError(400, 'InvalidPart', 'One or more of the specified parts could not be found or the specified entity tag might not have matched the part\'s entity tag.', { PartNumber: String(partNumber) }),
  invalidPartOrder: () =>
    new OssError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. Parts list must be specified in order by part number.'),
  invalidRange: () => new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied'),
  preconditionFailed: (condition: string) =>
    new OssError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: condition }),
  fileAlreadyExists: () => new OssError(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.'),
  positionNotEqualToLength: (length: number) =>
    new OssError(409, 'PositionNotEqualToLength', 'Position is not equal to file length', { CurrentPosition: String(length) }, '0026-00000016'),
  objectNotAppendable: () =>
    new OssError(409, 'ObjectNotAppendable', 'The object is not appendable', {}, '0026-00000017'),
  invalidObjectState: () =>
    new OssError(403, 'InvalidObjectState', 'The operation is not valid for the object\'s state'),
  restoreInProgress: () =>
    new OssError(409, 'RestoreAlreadyInProgress', 'The restore operation is in progress.', {}, '0016-00000701'),
  operationNotSupported: (message: string) => new OssError(400, 'OperationNotSupported', message),
  symlinkTargetNotExist: (target: string) =>
    new OssError(404, 'SymlinkTargetNotExist', 'The symlink target object does not exist', { SymlinkTarget: target }),
  notSymlink: () => new OssError(400, 'NotSymlink', 'The specified object is not a symlink.'),
  accessDenied: (message: string, ec?: string) => new OssError(403, 'AccessDenied', message, {}, ec),
  anonymous: () => new OssError(403, 'AccessDenied', 'You have no right to access this object because of bucket acl.'),
  expired: () => new OssError(403, 'AccessDenied', 'Request has expired.'),
  invalidAccessKeyId: (accessKeyId: string) =>
    new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', { OSSAccessKeyId: accessKeyId }),
  /** An STS key (`STS.…`) sent without its token: OSS's wording and EC (error centre 0002-00000003). */
  securityTokenMissing: (accessKeyId: string) =>
    new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records. The Security Token may be lost to specify that it is a STS Access Id.', { OSSAccessKeyId: accessKeyId }, '0002-00000003'),
  /** EC 0002-00000006: what OSS answers for a token that is not the key's (seen in OSS's own answers). */
  invalidSecurityToken: () => new OssError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.', {}, '0002-00000006'),
  timeTooSkewed: (requestTime: string, serverTime: number) =>
    new OssError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: requestTime,
      ServerTime: new Date(serverTime).toISOString(),
    }, '0002-00000504'),
  invalidUri: () => new OssError(400, 'InvalidURI', "Couldn't parse the specified URI."),
  corsForbidden: () =>
    new OssError(403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.'),
  methodNotAllowed: (method: string) =>
    new OssError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method }),
  noSuchConfiguration: (code: string, message: string) => new OssError(404, code, message),
  /** An OSS feature the emulator does not implement: fail loudly instead of pretending. */
  notImplemented: (what: string) =>
    new OssError(501, 'NotImplemented', `${what} is not implemented by the local OSS emulator (see docs/fidelity.md, section OSS).`),
  malformedPost: (detail: string) =>
    new OssError(400, 'MalformedPOSTRequest', `The body of your POST request is not well-formed multipart/form-data: ${detail}`),
  /** A request line or header block Node's HTTP parser refused. */
  badRequest: (message: string) => new OssError(400, 'InvalidRequest', message),
  internal: () => new OssError(500, 'InternalError', 'We encountered an internal error. Please try again.'),
};
