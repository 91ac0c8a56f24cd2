import { fromHttpInvocation, httpInvocation, isAnswered, type FromInstance } from '../../scripts/local/runtime/protocol';
import type { HttpTriggerRequest } from '../../scripts/local/runtime/http-trigger-event';

/**
 * An HTTP invocation and a plain answer cross between the main thread and an instance positionally (D126); what the
 * instance works with must be exactly the message the object form carried, after the same structured clone.
 */
describe('the instance protocol, positional messages', () => {
  const request: HttpTriggerRequest = {
    method: 'POST',
    rawPath: '/api/a%20b',
    search: 'x=1&x=2',
    rawHeaders: ['Host', 'localhost', 'X-Two', 'a', 'X-Two', 'b'],
    body: new Uint8Array([1, 2, 3]),
    httpVersion: '1.1',
    sourceIp: '10.0.0.7',
    requestId: 'req-in-event',
    accountId: '123',
    timeEpoch: 1_700_000_000_123,
  };

  it('an HTTP invocation reads back as the object message, every field of the request and the ids', () => {
    const posted = structuredClone(httpInvocation(42, { requestId: 'req-ids', retryCount: 2 }, request));
    expect(fromHttpInvocation(posted)).toEqual({ type: 'invoke', id: 42, http: { ...request, body: new Uint8Array([1, 2, 3]) }, ids: { requestId: 'req-ids', retryCount: 2 } });
    expect(Object.keys((fromHttpInvocation(posted) as { http: object }).http)).toEqual(Object.keys(request));
  });

  it('a plain answer is told apart from every object message', () => {
    const answer: FromInstance = [7, 12.5, { statusCode: 200, body: 'ok' }];
    expect(isAnswered(structuredClone(answer))).toBe(true);
    for (const other of [{ type: 'ready' }, { type: 'log', id: 7, text: 'x' }, { type: 'done', id: 7, ok: false, error: { errorType: 'E', errorMessage: 'm' }, heapMb: 1 }] as FromInstance[]) expect(isAnswered(other)).toBe(false);
  });
});
