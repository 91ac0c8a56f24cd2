import { TokenRequest } from '#shared/contracts/auth';
import { SearchQueryParams, UploadRequest } from '#shared/contracts/images';
import { AlertsQuery, RegisterDeviceRequest, ReportRequest, SeriesQuery } from '#shared/contracts/iot';
import { Address, OrderListQuery, OrderQuery, OrderRequest } from '#shared/contracts/orders';
import { ProductListQuery, ProductPageQuery } from '#shared/contracts/products';
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

  it('says a query value that is not a whole number must be one, with its range', () => {
    expect(messages(OrderQuery, { waitFor: 'abc' }, 'query')[0]).toBe('invalid query.waitFor: must be a whole number, at least 0');
    expect(messages(OrderListQuery, { limit: 'ten' }, 'query')[0]).toBe('invalid query.limit: must be a whole number from 1 to 50');
  });

  it('takes a query number only in decimal digits: no hex, exponent, spaces, sign or empty value (D127)', () => {
    for (const limit of ['0x10', '1e1', ' 10 ', '+5', '', '10.0', '1,2']) {
      expect([limit, messages(ProductListQuery, { limit }, 'query')[0]]).toEqual([limit, 'invalid query.limit: must be a whole number from 1 to 100']);
    }
    for (const limit of ['0x10', '1e1', '']) expect(messages(SearchQueryParams, { limit }, 'query')[0]).toBe('invalid query.limit: must be a whole number from 1 to 100');
    expect(messages(AlertsQuery, { limit: '501' }, 'query')[0]).toBe('invalid query.limit: must be a whole number from 1 to 500');
    expect(ProductListQuery.parse({ limit: '007' }).limit).toBe(7);
  });

  it('refuses a products cursor that is not a position in the list, and an empty one (D127)', () => {
    expect(messages(ProductListQuery, { cursor: 'garbage' }, 'query')[0]).toBe('invalid query.cursor: is not a nextCursor this list answered');
    expect(messages(ProductListQuery, { cursor: '' }, 'query')[0]).toBe('invalid query.cursor: is empty: leave it out for the first page');
    expect(messages(SearchQueryParams, { cursor: '' }, 'query')[0]).toBe('invalid query.cursor: is empty: leave it out for the first page');
    expect(ProductListQuery.parse({ cursor: 'p-aurora-headphones' }).cursor).toBe('p-aurora-headphones');
  });

  it('names a query parameter a list does not take, as a body names an unknown field (D127)', () => {
    expect(messages(ProductListQuery, { page: '2' }, 'query')).toEqual(['invalid query.page: is not a parameter of this request', 'query.page: is not a parameter of this request']);
    expect(messages(SeriesQuery, { metric: 'temperature', limit: '5' }, 'query')[0]).toBe('invalid query.limit: is not a parameter of this request');
    expect(messages(RegisterDeviceRequest, { name: 'a', type: 'pump', owner: 'x' }, 'body')[0]).toBe('invalid body.owner: is not a field of this request');
    expect(messages(TokenRequest, { username: 'a', password: 'b', remember: true }, 'body')[0]).toBe('invalid body.remember: is not a field of this request');
  });

  it('says what a query time may be: epoch ms or ISO 8601 with a zone, not any text Date.parse takes (D127)', () => {
    for (const since of ['12/25', 'Nov 27 2026', '2026-11-27T10:00', '1e12', '99999999999999999']) {
      expect([since, messages(AlertsQuery, { since }, 'query')[0]]).toEqual([since, expect.stringContaining('invalid query.since: must be epoch milliseconds or an ISO 8601 date')]);
    }
    expect(AlertsQuery.parse({ since: '2026-11-27' }).since).toBe(Date.UTC(2026, 10, 27));
    expect(AlertsQuery.parse({ since: '2026-11-27T08:00:00+08:00' }).since).toBe(Date.UTC(2026, 10, 27));
    expect(AlertsQuery.parse({ since: '1795824000000' }).since).toBe(1795824000000);
  });

  it('refuses control characters and text-direction overrides in free text, keeping emoji sequences (D127)', () => {
    const plain = 'must not contain control characters or text-direction overrides';
    expect(messages(RegisterDeviceRequest, { name: 'pump\u202e1', type: 'pump' }, 'body')[0]).toBe(`invalid body.name: ${plain}`);
    expect(messages(RegisterDeviceRequest, { name: 'pump\u0085', type: 'pump' }, 'body')[0]).toBe(`invalid body.name: ${plain}`);
    expect(messages(UploadRequest, { filename: 'a.jpg', contentType: 'image/jpeg', size: 1, title: 'a\u0000b' }, 'body')[0]).toBe(`invalid body.title: ${plain}`);
    const address = { name: 'A', line1: 'Road 1\nFlat 2', city: 'Hangzhou', postcode: '310000', country: 'CN' };
    expect(messages(Address, address, 'body.address')[0]).toBe(`invalid body.address.line1: ${plain}`);
    expect(RegisterDeviceRequest.parse({ name: 'Family 👨\u200d👩\u200d👧 sensor', type: 'pump' }).name).toContain('\u200d');
  });

  it('refuses a lone surrogate in free text: it was accepted and stored as U+FFFD, another text than answered (D147)', () => {
    const unpaired = 'must be well-formed Unicode, not hold a lone surrogate (\\ud800–\\udfff escapes must come in pairs)';
    // JSON.parse('"pump\\ud800"') is a string UTF-8 cannot encode: TableStore stored U+FFFD in its place.
    expect(messages(RegisterDeviceRequest, JSON.parse('{"name":"pump\\ud800","type":"pump"}'), 'body')[0]).toBe(`invalid body.name: ${unpaired}`);
    expect(messages(UploadRequest, JSON.parse('{"filename":"\\udc00a.jpg","contentType":"image/jpeg","size":1}'), 'body')[0]).toBe(`invalid body.filename: ${unpaired}`);
    const address = { name: 'A', line1: 'Road 1', line2: JSON.parse('"\\ud83d"'), city: 'Hangzhou', postcode: '310000', country: 'CN' };
    expect(messages(Address, address, 'body.address')[0]).toBe(`invalid body.address.line2: ${unpaired}`);
    // A pair is one character (an emoji), and stays.
    expect(RegisterDeviceRequest.parse(JSON.parse('{"name":"pump \\ud83d\\ude80","type":"pump"}')).name).toBe('pump 🚀');
  });

  it('says a number where a string belongs is a number, also when it is 1e400 (D147)', () => {
    expect(messages(TokenRequest, JSON.parse('{"username":1e400,"password":"x"}'), 'body')[0]).toBe('invalid body.username: must be a string, not a number');
  });

  it('says a size or a kind in plain words, naming the limit (D127)', () => {
    expect(messages(ProductPageQuery, { client: 'web,mobile' }, 'query')[0]).toBe('invalid query.client: must be one of web, mobile');
    const name = 'x'.repeat(65);
    expect(messages(RegisterDeviceRequest, { name, type: 'pump' }, 'body')[0]).toBe('invalid body.name: must be at most 64 characters');
    expect(messages(RegisterDeviceRequest, { name: 7, type: 'pump' }, 'body')[0]).toBe('invalid body.name: must be a string, not a number');
    expect(messages(OrderRequest, { items: [{ productId: 'p-a', qty: 1.5 }] }, 'body')[0]).toBe('invalid body.items.0.qty: must be a whole number, not a fraction');
    expect(messages(OrderRequest, { items: [{ productId: 'p-a', qty: -1 }] }, 'body')[0]).toBe('invalid body.items.0.qty: must be at least 1');
    expect(messages(OrderRequest, { items: [{ productId: 'p-a', qty: '2' }] }, 'body')[0]).toBe('invalid body.items.0.qty: must be a number, not a string');
    expect(messages(OrderRequest, { items: [] }, 'body')[0]).toBe('invalid body.items: an order has at least one item');
    expect(messages(OrderRequest, JSON.parse('{"items":[{"productId":"p-a","qty":1e400}]}'), 'body')[0]).toBe('invalid body.items.0.qty: must be a finite number');
  });

  it('refuses a report window after year 9999, which failed as a 500 when the report was written (D127)', () => {
    expect(messages(ReportRequest, { from: 8.64e15, to: 8.64e15 + 1 }, 'body')[0]).toBe('invalid body.from: must be epoch milliseconds or an ISO 8601 date-time with a zone, e.g. 2026-11-25T00:00:00Z');
    expect(ReportRequest.parse({ from: 253402300799000, to: 253402300799999 }).to).toBe(253402300799999);
  });

  it('says what a report time may be', () => {
    expect(messages(ReportRequest, { from: 'yesterday', to: '2026-11-25T00:00:00Z' }, 'body')[0]).toBe('invalid body.from: must be epoch milliseconds or an ISO 8601 date-time with a zone, e.g. 2026-11-25T00:00:00Z');
  });

  it('keeps the messages schemas set themselves', () => {
    expect(messages(SeriesQuery, { metric: 'temperature', step: '5m' }, 'query')[0]).toBe('invalid query.step: must be one of auto, raw, 1m, 1h');
  });
});
