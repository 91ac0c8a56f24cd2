import { COUNTRY_NAMES, ORDER_EVENT_TYPES, ORDER_STATUSES, SANDBOX_CARDS, SHIP_TO_COUNTRIES, TERMINAL_STATUSES, UNDELIVERABLE_POSTCODE as SERVER_UNDELIVERABLE } from '#shared/contracts/orders';
import { COUNTRIES, countryForRegion, EVENT_TEXT, STATUS_TEXT, TERMINAL, TEST_CARDS, UNDELIVERABLE_POSTCODE } from '../../website/src/orders-api';
import { UPLOAD_TYPES } from '#shared/contracts/images';
import { MAX_IMAGE_BYTES, MAX_TITLE_CHARS } from '#shared/images/limits';
import { IMAGE_REJECT_REASONS } from '#shared/ports/image-engine';
import { ACCEPTED_TYPES, MAX_UPLOAD_BYTES, TITLE_MAX, parseTags, rejectionText } from '../../website/src/images-api';
import { listPriceNotice, pageDegradedNotice, pageFailureText } from '../../website/src/degraded-text';
import { lonePoints, withGaps } from '../../website/src/chart-gaps';
import { reportCreatedText, reportWindowText } from '../../website/src/report-window';
import { lateCheckWindow, minutesOutOfStep, withSpanReplaced } from '../../website/src/late-readings';

/**
 * The website's own logic that needs no browser: it repeats three server limits (values cannot be
 * imported into the bundle without zod), so this keeps them equal, and it words every rejection.
 */
describe('website image helpers', () => {
  it('accept exactly the types and size the upload API accepts', () => {
    expect([...ACCEPTED_TYPES].sort()).toEqual(Object.keys(UPLOAD_TYPES).sort());
    expect(MAX_UPLOAD_BYTES).toBe(MAX_IMAGE_BYTES);
    expect(TITLE_MAX).toBe(MAX_TITLE_CHARS);
  });

  it('word every rejection reason of the pipeline for a person', () => {
    for (const reason of IMAGE_REJECT_REASONS) expect(rejectionText(reason)).not.toContain(reason);
    expect(rejectionText('something-new')).toBe('The photo could not be processed (something-new).');
    expect(rejectionText(undefined)).toBe('The photo could not be processed.');
  });

  it('read tags as a person types them', () => {
    expect(parseTags(' Beach, summer  #Sunset,beach ')).toEqual(['beach', 'summer', 'sunset']);
    expect(parseTags('')).toEqual([]);
  });
});

describe('website order helpers', () => {
  it('list exactly the sandbox test cards, the carrier test postcode and the delivery countries the API knows', () => {
    expect(TEST_CARDS.map((c) => c.number.replace(/ /g, ''))).toEqual(Object.values(SANDBOX_CARDS));
    expect(UNDELIVERABLE_POSTCODE).toBe(SERVER_UNDELIVERABLE);
    expect(Object.fromEntries(Object.entries(COUNTRIES).map(([code, c]) => [code, c.region]))).toEqual(SHIP_TO_COUNTRIES);
    expect(Object.fromEntries(Object.entries(COUNTRIES).map(([code, c]) => [code, c.name]))).toEqual(COUNTRY_NAMES);
  });

  it('word every order status and event', () => {
    expect(Object.keys(STATUS_TEXT).sort()).toEqual([...ORDER_STATUSES].sort());
    expect(Object.keys(EVENT_TEXT).sort()).toEqual([...ORDER_EVENT_TYPES].sort());
    expect(TERMINAL).toEqual(TERMINAL_STATUSES);
  });

  it('picks the delivery country of the region the shopper browses', () => {
    expect(countryForRegion('cn-beijing')).toBe('CN');
    expect(countryForRegion('cn-hongkong')).toBe('HK');
    expect(countryForRegion('ap-southeast-1')).toBe('SG');
  });
});

describe('website notes for a failed part', () => {
  it('say prices are missing only when none is shown, and may be out of date when the last ones are', () => {
    const priced = { price: { amount: 1 } };
    expect(listPriceNotice([priced], [])).toBeUndefined();
    expect(listPriceNotice([{}, {}], ['price'])).toBe('Prices are unavailable right now; the catalogue is shown without them.');
    expect(listPriceNotice([priced, priced], ['price'])).toBe('Prices could not be checked just now, so they may be out of date; checkout uses the current ones.');
    expect(listPriceNotice([priced, {}], ['price'])).toContain('Some prices are unavailable right now');
    expect(listPriceNotice([priced], ['sales'])).toBeUndefined();
  });

  it('name the product page’s failed parts, each missing or possibly old', () => {
    expect(pageDegradedNotice([])).toBeUndefined();
    expect(pageDegradedNotice(['price', 'reviews'])).toBe('Some information could not be loaded just now (price, reviews): it is missing or may be out of date. Everything else on this page is current.');
  });
});

describe('website page failures', () => {
  it('word a service that is down for a person, and keep any other reason', () => {
    expect(pageFailureText({ status: 503, message: 'internal error' })).toBe('a service it needs is unavailable right now. Try again in a moment');
    expect(pageFailureText({ status: 400, message: 'the product id is not valid' })).toBe('the product id is not valid');
    expect(pageFailureText({ message: 'Failed to fetch' })).toBe('Failed to fetch');
  });
});

describe('chart gaps', () => {
  it('break the line where a device was silent, and only there', () => {
    const ts = [0, 1_000, 2_000, 3_000, 1_800_000, 1_801_000];
    expect(withGaps(ts, [[1, 2, 3, 4, 5, 6]], 'raw')).toEqual({ ts: [0, 1_000, 2_000, 3_000, 901_500, 1_800_000, 1_801_000], columns: [[1, 2, 3, 4, null, 5, 6]] });
    // Jitter and a 20-second dropout keep the line whole.
    expect(withGaps([0, 1_000, 2_300, 3_000, 23_000, 24_000], [[1, 2, 3, 4, 5, 6]], 'raw').columns[0]).not.toContain(null);
    // A device reporting every five minutes is a line, not dots.
    expect(withGaps([0, 300_000, 600_000, 900_000], [[1, 2, 3, 4]], 'raw').columns[0]).not.toContain(null);
    // Rollups: one missing minute is no gap, ten are; every column (avg, min, max) breaks together.
    const minutes = [0, 60_000, 180_000, 240_000, 840_000, 900_000];
    const rolled = withGaps(minutes, [[1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5], [2, 3, 4, 5, 6, 7]], '1m');
    expect(rolled.ts).toEqual([0, 60_000, 180_000, 240_000, 540_000, 840_000, 900_000]);
    expect(rolled.columns.map((c) => c[4])).toEqual([null, null, null]);
  });

  it('mark a reading that stands alone between gaps, which a line cannot draw (D128)', () => {
    // A device back from a dropout with one reading (one that raised an alert, say): a line of one point has no
    // length, so a dense chart without point markers showed nothing there.
    const { columns } = withGaps([0, 1_000, 2_000, 60_000, 120_000, 121_000], [[1, 2, 3, 45, 5, 6]], 'raw');
    expect(columns[0]).toEqual([1, 2, 3, null, 45, null, 5, 6]);
    expect(lonePoints(columns[0]!)).toEqual([4]);
    expect(lonePoints([7, null, null])).toEqual([0]);
    expect(lonePoints([null, 1, 2, null, 3])).toEqual([4]);
    expect(lonePoints([1, 2, 3])).toEqual([]);
  });
});

describe('report window text', () => {
  const en = { locale: 'en-US', timeZone: 'Asia/Shanghai' };
  it('names one day once, and both days of a window across midnight', () => {
    expect(reportWindowText('2026-11-27T01:00:00.000Z', '2026-11-27T02:00:00.000Z', en)).toBe('Nov 27, 2026, 9:00 AM–10:00 AM');
    // The daily report: the previous UTC day, seen from Hangzhou.
    expect(reportWindowText('2026-11-24T00:00:00.000Z', '2026-11-25T00:00:00.000Z', en)).toBe('Nov 24, 2026, 8:00 AM – Nov 25, 2026, 8:00 AM');
  });

  it("words a report's creation time like its window, to the second", () => {
    expect(reportCreatedText('2026-11-27T21:35:02.000Z', en)).toBe('Nov 28, 2026, 5:35:02 AM');
  });
});

describe('late readings in a live raw chart (D136)', () => {
  const M = 60_000;
  const t0 = 1_795_000_040_000; // 20 s into a minute
  it('checks the whole minutes of the window before what the refresh re-reads, up to the minute holding its start', () => {
    const start = Math.ceil(t0 / M) * M;
    expect(lateCheckWindow(t0, t0 + 10 * M)).toEqual({ from: start, to: Math.floor((t0 + 10 * M) / M) * M + M });
    // Nothing whole before the re-read part: no check.
    expect(lateCheckWindow(t0, t0 + 10_000)).toBeUndefined();
  });

  it("names the minutes whose count the server's 1-minute answer does not match, and only those", () => {
    const m0 = Math.floor(t0 / M) * M;
    const window = { from: m0, to: m0 + 4 * M };
    // The last point is past the window: what the refresh re-reads is not compared.
    const ts = [m0 + 1000, m0 + 2000, m0 + M + 5000, m0 + 3 * M + 1, m0 + 4 * M + 1];
    expect(minutesOutOfStep(ts, [{ ts: m0, count: 2 }, { ts: m0 + M, count: 1 }, { ts: m0 + 3 * M, count: 1 }], window)).toEqual([]);
    // A late reading in the minute after m0, and one in a minute the chart had nothing in.
    expect(minutesOutOfStep(ts, [{ ts: m0, count: 2 }, { ts: m0 + M, count: 2 }, { ts: m0 + 2 * M, count: 1 }, { ts: m0 + 3 * M, count: 1 }], window)).toEqual([m0 + M, m0 + 2 * M]);
    // The chart holding a minute the server does not (its readings expired): out of step too.
    expect(minutesOutOfStep([m0 + 1], [], window)).toEqual([m0]);
  });

  it('replaces the points of the minutes read again, keeping the others in time order', () => {
    const m0 = 1_795_000_020_000;
    const held = { ts: [m0 + 1, m0 + M + 1, m0 + M + 2, m0 + 3 * M + 1], value: [1, 2, 3, 4] };
    const read = { ts: [m0 + M, m0 + M + 1, m0 + M + 2, m0 + 2 * M + 9], value: [20, 21, 22, 23] };
    expect(withSpanReplaced(held, { from: m0 + M, to: m0 + 3 * M }, read)).toEqual({ ts: [m0 + 1, m0 + M, m0 + M + 1, m0 + M + 2, m0 + 2 * M + 9, m0 + 3 * M + 1], value: [1, 20, 21, 22, 23, 4] });
  });
});
