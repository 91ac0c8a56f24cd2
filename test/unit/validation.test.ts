import { ReportRequest, SeriesQuery } from '#shared/contracts/iot';
import { OrderListQuery, OrderQuery } from '#shared/contracts/orders';
import { ValidationError } from '#shared/errors';
import { parseWith } from '#shared/validation';

/** parseWith's 400s, as a user reads them from curl: the field and what is wrong with it, in plain words. */
describe('parseWith', () => {
  const messages = (schema: Parameters<typeof parseWith>[0], value: unknown, where: string) => {
    try {
      parseWith(schema, value, where);
    } catch (err) {
      if (err instanceof ValidationError) return [err.message, ...(err.details ?? []).map((d) => `${d.path}: ${d.message}`)];
      throw err;
    }
    throw new Error('parsed');
  };

  it('says a missing field is required, not "expected string, received undefined"', () => {
    expect(messages(SeriesQuery, {}, 'query')).toEqual(['invalid query.metric: is required', 'query.metric: is required']);
    expect(messages(ReportRequest, {}, 'body')).toEqual(['invalid body.from: is required', 'body.from: is required', 'body.to: is required']);
  });

  it('says a query value that is not a number must be one, not "received NaN"', () => {
    expect(messages(OrderQuery, { waitFor: 'abc' }, 'query')[0]).toBe('invalid query.waitFor: must be a number');
    expect(messages(OrderListQuery, { limit: 'ten' }, 'query')[0]).toBe('invalid query.limit: must be a number');
  });

  it('says what a report time may be', () => {
    expect(messages(ReportRequest, { from: 'yesterday', to: '2026-11-25T00:00:00Z' }, 'body')[0]).toBe('invalid body.from: must be epoch milliseconds or an ISO 8601 date-time with a zone, e.g. 2026-11-25T00:00:00Z');
  });

  it('keeps the messages schemas set themselves', () => {
    expect(messages(SeriesQuery, { metric: 'temperature', step: '5m' }, 'query')[0]).toBe('invalid query.step: must be one of auto, raw, 1m, 1h');
  });
});
