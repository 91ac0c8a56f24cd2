/**
 * MNS error answers: `<Error xmlns="http://mns.aliyuncs.com/doc/v1/"><Code/><Message/><RequestId/><HostId/></Error>`
 * with the HTTP status MNS uses (https://www.alibabacloud.com/help/en/mns/developer-reference/syntax-of-error-responses).
 * `@alicloud/mns` turns such a body into an Error named `MNS<Code>Error`, so the code string is what clients see.
 */
export class MnsError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'MnsError';
    this.status = status;
    this.code = code;
  }
}

const e = (status: number, code: string, message: string) => new MnsError(status, code, message);

export const mnsErrors = {
  // Authentication (messages as MNS words them, typos included: clients match on the code only).
  missingAuthorization: () => e(400, 'MissingAuthorizationHeader', 'Authorization header is required.'),
  invalidAuthorization: (why: string) => e(400, 'InvalidAuthorizationHeader', `The Authorization header format is invalid: ${why}`),
  missingDate: () => e(400, 'MissingDateHeader', 'Date header is required.'),
  invalidDate: () => e(400, 'InvalidDateHeader', 'The Date header format is invalid.'),
  missingVersion: () => e(400, 'MissingVersionHeader', 'x-mns-version header is required (2015-06-06).'),
  invalidVersion: (got: string) => e(400, 'InvalidVersionHeader', `x-mns-version "${got}" is not supported; use 2015-06-06.`),
  timeExpired: () => e(408, 'TimeExpired', 'The http request you sent is expired: its Date differs from the server time by more than 15 minutes.'),
  invalidAccessKeyId: () => e(403, 'InvalidAccessKeyId', 'The AccessKey Id you provided is not exist.'),
  accessDenied: (why: string) => e(403, 'AccessDenied', `The OwnerId that your Access Key Id associated to is forbidden for this operation: ${why}`),
  signatureDoesNotMatch: (stringToSign: string) =>
    e(403, 'SignatureDoesNotMatch', `The request signature we calculated does not match the signature you provided. Check your key and signing method. String to sign: ${JSON.stringify(stringToSign)}`),
  invalidDigest: () => e(400, 'InvalidDegist', 'The Content-MD5 you specified is invalid.'),

  // Requests.
  invalidRequestUrl: (path: string) => e(400, 'InvalidRequestURL', `Http request URL format invalid: ${path}`),
  invalidQueryString: (item: string) => e(400, 'InvalidQueryString', `Http request URL contains invalid querystring item "${item}".`),
  malformedXml: (why = 'not well-formed') => e(400, 'MalformedXML', `The XML you provided was not well-formed: ${why}.`),
  invalidArgument: (message: string) => e(400, 'InvalidArgument', message),
  outOfRange: (element: string, low: number, high: number, unit = 'seconds') =>
    e(400, 'InvalidArgument', `The value of ${element} should between ${low} and ${high} ${unit}.`),
  unknownElement: (element: string) => e(400, 'InvalidArgument', `The XML you provided did not validate against our published schema, cause by ${element} Element.`),
  methodNotAllowed: (method: string, path: string) => e(405, 'MethodNotAllowed', `${method} is not allowed on ${path}.`),

  // Queues and messages.
  invalidQueueName: (name: string) =>
    e(400, 'InvalidQueueName', `The queue name you provided is not valid: "${name}". It must start with a letter or digit and contain only letters, digits and "-".`),
  queueNameLength: () => e(400, 'QueueNameLengthError', 'The length of queue name must be between 1 and 256.'),
  queueNotExist: (name: string) => e(404, 'QueueNotExist', `The queue name you provided is not exist: ${name}.`),
  queueAlreadyExist: (name: string) => e(409, 'QueueAlreadyExist', `The queue you want to create is already exist, with other attributes: ${name}.`),
  messageNotExist: () => e(404, 'MessageNotExist', 'Message not exist.'),
  receiptHandleError: (handle: string) => e(400, 'ReceiptHandleError', `The receipt handle you provide is not valid: ${handle}`),
  missingReceiptHandle: () => e(400, 'MissingReceiptHandle', 'ReceiptHandle is required.'),
  missingVisibilityTimeout: () => e(400, 'MissingVisibilityTimeout', 'VisibilityTimeout is required.'),

  // Topics and subscriptions.
  invalidTopicName: (name: string) =>
    e(400, 'InvalidTopicName', `The topic name you provided is not valid: "${name}". It must start with a letter or digit and contain only letters, digits and "-".`),
  topicNameLength: () => e(400, 'TopicNameLengthError', 'The length of topic name must be between 1 and 256.'),
  topicNotExist: (name: string) => e(404, 'TopicNotExist', `The topic name you provided is not exist: ${name}.`),
  topicAlreadyExist: (name: string) => e(409, 'TopicAlreadyExist', `The topic you want to create is already exist, with other attributes: ${name}.`),
  invalidSubscriptionName: (name: string) =>
    e(400, 'InvalidSubscriptionName', `The subscription name you provided is not valid: "${name}". It must start with a letter or digit and contain only letters, digits and "-".`),
  subscriptionNameLength: () => e(400, 'SubscriptionNameLengthError', 'The length of subscription name must be between 1 and 256.'),
  subscriptionNotExist: (name: string) => e(404, 'SubscriptionNotExist', `The subscription name you provided is not exist: ${name}.`),
  subscriptionAlreadyExist: (name: string) => e(409, 'SubscriptionAlreadyExist', `The subscription you want to create is already exist, with other attributes: ${name}.`),
  invalidEndpoint: (endpoint: string, why: string) => e(400, 'InvalidEndpoint', `The endpoint you provided is not valid: ${endpoint} (${why}).`),

  /** A feature of MNS the emulator does not implement: a loud refusal, never a wrong success. */
  notImplemented: (what: string) =>
    e(501, 'NotImplemented', `${what} is not implemented by the local MNS emulator (see the LIMITATIONS comment in scripts/local/emulators/mns/index.ts).`),
  internal: () => e(500, 'InternalError', 'Interal error.'),
};
