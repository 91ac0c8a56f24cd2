/**
 * The SearchIndex contract: the semantics listed in `functions/_shared/ports/search-index.ts`, as one suite
 * that every adapter runs (`search-index.test.ts` runs it on TableStore search indexes of the local emulator,
 * over HTTP and in-process). Each test gets a fresh, empty index from the factory, so counts and orderings are
 * exact.
 */
import { ValidationError } from '#shared/errors';
import type { SearchDocument, SearchHit, SearchIndex, SearchQuery } from '#shared/ports/search-index';

export interface SearchIndexUnderTest {
  index: SearchIndex;
  close(): Promise<void>;
}

const ids = (hits: SearchHit[]) => hits.map((h) => h.document.id);

function doc(id: string, title: string, extra: Partial<SearchDocument> = {}): SearchDocument {
  return { id, title, tags: [], createdAt: 1_700_000_000_000, ...extra };
}

export function describeSearchIndexContract(name: string, factory: () => Promise<SearchIndexUnderTest>): void {
  describe(`SearchIndex contract: ${name}`, () => {
    let subject: SearchIndexUnderTest | undefined;
    let index: SearchIndex;

    beforeEach(async () => {
      subject = undefined;
      subject = await factory();
      index = subject.index;
    });

    afterEach(async () => {
      await subject?.close();
    });

    const put = async (...docs: SearchDocument[]) => {
      for (const d of docs) await index.upsert(d);
    };
    const find = async (query: SearchQuery) => ids((await index.search(query)).hits);
    /** Every hit of a query, page by page, checking that only the last page lacks a cursor. */
    const walk = async (query: SearchQuery, limit: number) => {
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 200; page++) {
        const result = await index.search({ ...query, limit, ...(cursor ? { cursor } : {}) });
        if (page > 0) expect(result.hits.length).toBeGreaterThan(0); // a cursor never leads to an empty page
        seen.push(...ids(result.hits));
        sizes.push(result.hits.length);
        cursor = result.nextCursor;
        if (!cursor) break;
        expect(result.hits).toHaveLength(limit);
      }
      expect(cursor).toBeUndefined();
      return { seen, sizes };
    };

    describe('matching', () => {
      beforeEach(async () => {
        await put(
          doc('title', 'Aurora Headphones', { tags: ['audio'], createdAt: 10 }),
          doc('tag', 'Blue mug', { tags: ['kitchen', 'Noise Cancelling'], createdAt: 20 }),
          doc('product', 'Red shoe', { productId: 'p-trail-runner', createdAt: 30 }),
          doc('single', 'H is for house', { createdAt: 40 }),
        );
      });

      it('matches a word of the title, case-insensitively and as a prefix of two or more characters', async () => {
        expect(await find({ text: 'aurora' })).toEqual(['title']);
        expect(await find({ text: 'HEADPHONES' })).toEqual(['title']);
        expect(await find({ text: 'head' })).toEqual(['title']);
        expect(await find({ text: 'he' })).toEqual(['title']);
        expect(await find({ text: 'headphonesx' })).toEqual([]);
      });

      it('matches a one-character word only as a whole word', async () => {
        expect(await find({ text: 'h' })).toEqual(['single']);
        expect(await find({ text: 'a' })).toEqual([]);
      });

      it('matches the words of tags and of the product id', async () => {
        expect(await find({ text: 'kitchen' })).toEqual(['tag']);
        expect(await find({ text: 'cancel' })).toEqual(['tag']);
        expect(await find({ text: 'trail' })).toEqual(['product']);
        expect(await find({ text: 'p-trail-runner' })).toEqual(['product']);
      });

      it('requires every word (AND), across fields', async () => {
        expect(await find({ text: 'blue noise' })).toEqual(['tag']);
        expect(await find({ text: 'red runner' })).toEqual(['product']);
        expect(await find({ text: 'aurora kitchen' })).toEqual([]);
        expect(await find({ text: 'aurora aurora head' })).toEqual(['title']);
      });

      it('splits Han characters into words and matches them anywhere in the title', async () => {
        await put(doc('zh', '降噪耳机 Pro', { createdAt: 50 }), doc('zh2', '耳朵', { createdAt: 60 }));
        expect(await find({ text: '耳机' })).toEqual(['zh']);
        expect(await find({ text: '耳' })).toEqual(['zh2', 'zh']);
        expect(await find({ text: '降噪 pro' })).toEqual(['zh']);
      });

      it('folds width and case (NFKC) and keeps accents', async () => {
        await put(doc('cafe', 'Café Crème', { createdAt: 50 }));
        expect(await find({ text: 'ＣＡＦÉ' })).toEqual(['cafe']);
        expect(await find({ text: 'crè' })).toEqual(['cafe']);
      });
    });

    describe('ranking', () => {
      it('ranks a title match above tag and product matches, even when they are newer', async () => {
        await put(
          doc('in-title', 'Lantern at dusk', { createdAt: 1 }),
          doc('in-tag', 'Camping', { tags: ['lantern'], createdAt: 2 }),
          doc('in-product', 'Gear', { productId: 'lantern-xl', createdAt: 3 }),
        );
        const result = await index.search({ text: 'lantern' });
        expect(ids(result.hits)[0]).toBe('in-title');
        expect(new Set(ids(result.hits))).toEqual(new Set(['in-title', 'in-tag', 'in-product']));
        const scores = result.hits.map((h) => h.score);
        expect(scores[0]).toBeGreaterThan(scores[1]!);
        expect(scores[0]).toBeGreaterThan(scores[2]!);
      });

      it('breaks ties newest first, then by id', async () => {
        await put(doc('b', 'Twin', { createdAt: 5 }), doc('a', 'Twin', { createdAt: 5 }), doc('c', 'Twin', { createdAt: 9 }), doc('d', 'Twin', { createdAt: 1 }));
        expect(await find({ text: 'twin' })).toEqual(['c', 'a', 'b', 'd']);
      });
    });

    describe('filters and listing', () => {
      beforeEach(async () => {
        await put(
          doc('p1-old', 'Desk lamp', { productId: 'P-1', tags: ['home', 'Light'], createdAt: 100 }),
          doc('p1-new', 'Desk chair', { productId: 'P-1', tags: ['home'], createdAt: 300 }),
          doc('p2', 'Desk fan', { productId: 'P-2', tags: ['light'], createdAt: 200 }),
          doc('none', 'Garden hose', { tags: [], createdAt: 50 }),
        );
      });

      it('lists every document newest first without text', async () => {
        expect(await find({})).toEqual(['p1-new', 'p2', 'p1-old', 'none']);
        expect(await find({ text: '   ' })).toEqual(['p1-new', 'p2', 'p1-old', 'none']);
      });

      it('filters by exact product id, with or without text', async () => {
        expect(await find({ productId: 'P-1' })).toEqual(['p1-new', 'p1-old']);
        expect(await find({ productId: 'p-1' })).toEqual([]);
        expect(await find({ productId: 'P' })).toEqual([]);
        expect(await find({ text: 'desk', productId: 'P-2' })).toEqual(['p2']);
      });

      it('filters by exact tag, with or without text, and combines filters', async () => {
        expect(await find({ tag: 'home' })).toEqual(['p1-new', 'p1-old']);
        expect(await find({ tag: 'light' })).toEqual(['p2']);
        expect(await find({ tag: 'Light' })).toEqual(['p1-old']);
        expect(await find({ tag: 'hom' })).toEqual([]);
        expect(await find({ text: 'lamp', tag: 'home' })).toEqual(['p1-old']);
        expect(await find({ tag: 'home', productId: 'P-2' })).toEqual([]);
        expect(await find({ tag: 'light', productId: 'P-2' })).toEqual(['p2']);
      });
    });

    describe('writes', () => {
      it('upsert replaces the whole document', async () => {
        await put(doc('x', 'Original title', { tags: ['first'], productId: 'P-9', createdAt: 1, fields: { a: 1, b: 'two' } }));
        await put(doc('x', 'Replacement', { tags: ['second'], createdAt: 2, fields: { c: true } }));
        expect(await find({ text: 'original' })).toEqual([]);
        expect(await find({ text: 'first' })).toEqual([]);
        expect(await find({ productId: 'P-9' })).toEqual([]);
        expect(await find({ tag: 'first' })).toEqual([]);
        const [hit] = (await index.search({ text: 'replacement' })).hits;
        expect(hit?.document).toEqual(doc('x', 'Replacement', { tags: ['second'], createdAt: 2, fields: { c: true } }));
        expect(await find({})).toEqual(['x']);
      });

      it('remove deletes the document; removing a missing id is fine', async () => {
        await put(doc('keep', 'Kettle', { createdAt: 1 }), doc('gone', 'Kettle', { createdAt: 2 }));
        await index.remove('gone');
        await index.remove('gone');
        await index.remove('never-existed');
        expect(await find({ text: 'kettle' })).toEqual(['keep']);
        expect(await find({})).toEqual(['keep']);
      });

      it('round-trips every stored value', async () => {
        const stored = doc('round/trip:1', 'Ünïcödé 标题 "quoted" <b>&amp;</b>', {
          tags: ['with space', 'émoji 🎧', 'UPPER'],
          productId: 'P-ü/1',
          createdAt: 1_712_345_678_901,
          fields: { thumbKey: 'thumbs/a b.webp', width: 1024, ratio: 1.7777777777777777, landscape: true, zero: 0, empty: '' },
        });
        await put(stored);
        expect((await index.search({ productId: 'P-ü/1' })).hits[0]?.document).toEqual(stored);
        expect((await index.search({ text: 'ünïcödé' })).hits[0]?.document).toEqual(stored);
        await put(doc('bare', 'No extras', { createdAt: 5 }));
        const bare = (await index.search({ text: 'extras' })).hits[0]?.document;
        expect(bare).toEqual(doc('bare', 'No extras', { createdAt: 5 }));
        expect(bare && 'productId' in bare).toBe(false);
        expect(bare && 'fields' in bare).toBe(false);
      });

      it('refuses invalid documents', async () => {
        await expect(index.upsert(doc('', 'No id'))).rejects.toBeInstanceOf(ValidationError);
        await expect(index.upsert(doc('neg', 'Negative', { createdAt: -1 }))).rejects.toBeInstanceOf(ValidationError);
        await expect(index.upsert(doc('frac', 'Fraction', { createdAt: 1.5 }))).rejects.toBeInstanceOf(ValidationError);
        await expect(index.upsert(doc('badtag', 'Bad tag', { tags: [''] }))).rejects.toBeInstanceOf(ValidationError);
        await expect(index.remove('')).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('pagination', () => {
      const N = 23;
      const setup = async () => {
        // Titles differ in length so text scores differ; createdAt repeats so ties need the id order too.
        const docs = Array.from({ length: N }, (_, i) =>
          doc(`d${String(i).padStart(2, '0')}`, `Poster ${'word '.repeat(i % 4)}`, { tags: i % 3 === 0 ? ['poster'] : [], createdAt: 1000 + (i % 5), productId: 'P-page' }),
        );
        await put(...docs);
        return docs;
      };

      it('pages through a listing with every limit 1…100 shape, without repeats or gaps', async () => {
        await setup();
        const all = await find({ limit: 100 });
        expect(all).toHaveLength(N);
        for (const limit of [1, 2, 7, 22, 23, 24, 100]) {
          const { seen, sizes } = await walk({}, limit);
          expect(seen).toEqual(all);
          expect(sizes.slice(0, -1).every((s) => s === limit)).toBe(true);
        }
      });

      it('pages through ranked text hits and filtered hits the same way', async () => {
        await setup();
        for (const query of [{ text: 'poster' }, { text: 'post', productId: 'P-page' }, { tag: 'poster' }]) {
          const all = await find({ ...query, limit: 100 });
          expect(all.length).toBeGreaterThan(0);
          for (const limit of [1, 3, 8]) expect((await walk(query, limit)).seen).toEqual(all);
        }
      });

      it('gives no cursor when the last page is exactly full', async () => {
        await put(doc('a', 'Pair', { createdAt: 1 }), doc('b', 'Pair', { createdAt: 2 }), doc('c', 'Pair', { createdAt: 3 }), doc('d', 'Pair', { createdAt: 4 }));
        const first = await index.search({ text: 'pair', limit: 2 });
        expect(ids(first.hits)).toEqual(['d', 'c']);
        const second = await index.search({ text: 'pair', limit: 2, cursor: first.nextCursor! });
        expect(ids(second.hits)).toEqual(['b', 'a']);
        expect(second.nextCursor).toBeUndefined();
        const whole = await index.search({ text: 'pair', limit: 4 });
        expect(whole.nextCursor).toBeUndefined();
      });

      it('defaults to 20 hits', async () => {
        await setup();
        const page = await index.search({});
        expect(page.hits).toHaveLength(20);
        expect(page.nextCursor).toEqual(expect.any(String));
      });

      it('refuses a limit outside 1…100', async () => {
        for (const limit of [0, -1, 101, 1.5, Number.NaN]) {
          await expect(index.search({ limit })).rejects.toBeInstanceOf(ValidationError);
        }
      });

      it('refuses garbled cursors and cursors from another query', async () => {
        await setup();
        const { nextCursor } = await index.search({ text: 'poster', limit: 2 });
        expect(nextCursor).toEqual(expect.any(String));
        const garbled = [
          'garbage',
          '!!!',
          'eyJ9',
          Buffer.from('{"q":"x","p":[1,2,3]}').toString('base64url'),
          Buffer.from('[]').toString('base64url'),
          `${nextCursor!.slice(0, -3)}`,
        ];
        for (const cursor of garbled) await expect(index.search({ text: 'poster', limit: 2, cursor })).rejects.toBeInstanceOf(ValidationError);
        await expect(index.search({ text: 'other', limit: 2, cursor: nextCursor! })).rejects.toBeInstanceOf(ValidationError);
        await expect(index.search({ text: 'poster', productId: 'P-page', limit: 2, cursor: nextCursor! })).rejects.toBeInstanceOf(ValidationError);
        await expect(index.search({ limit: 2, cursor: nextCursor! })).rejects.toBeInstanceOf(ValidationError);
        // The same words in another spelling are the same query.
        expect((await index.search({ text: ' POSTER ', limit: 2, cursor: nextCursor! })).hits).toHaveLength(2);
      });
    });

    describe('hostile query text', () => {
      beforeEach(async () => {
        await put(
          doc('plain', 'Aurora headphones', { createdAt: 1 }),
          doc('syntax', 'title x and or not near', { createdAt: 2 }),
          doc('zh', '无线耳机', { createdAt: 3 }),
        );
      });

      it('never fails and never treats input as query syntax', async () => {
        const hostile = ['"', '""', '*', '-', ':', '(', ')', '^', '+', "'", '\\', '%', '_', '{}', 'NEAR(', 'AND', 'OR', 'NOT',
          'AND OR', 'title:x', '-aurora', 'aurora*', '"aurora', 'aurora"', '"aur" *', 'aurora OR cat', 'aurora NOT headphones',
          "'; DROP TABLE x; --", '\u0000', '🎧', 'ｔｉｔｌｅ', '無線', '\u202Eaurora', 'x'.repeat(200)];
        for (const text of hostile) await expect(index.search({ text })).resolves.toEqual(expect.objectContaining({ hits: expect.any(Array) }));
      });

      it('reads punctuation and operators as plain separators and words', async () => {
        expect(await find({ text: '"' })).toEqual(['zh', 'syntax', 'plain']);
        expect(await find({ text: '* - :' })).toEqual(['zh', 'syntax', 'plain']);
        expect(await find({ text: '"aur' })).toEqual(['plain']);
        expect(await find({ text: 'aurora*' })).toEqual(['plain']);
        expect(await find({ text: '-aurora' })).toEqual(['plain']);
        expect(await find({ text: 'aurora NOT headphones' })).toEqual([]);
        expect(await find({ text: 'aurora OR cat' })).toEqual([]);
        expect(await find({ text: 'AND OR' })).toEqual(['syntax']);
        expect(await find({ text: 'title:x' })).toEqual(['syntax']);
        expect(await find({ text: 'NEAR(title x)' })).toEqual(['syntax']);
        expect(await find({ text: '耳机' })).toEqual(['zh']);
        expect(await find({ text: '🎧 aurora' })).toEqual(['plain']);
      });

      it('refuses text over 200 characters or 32 words', async () => {
        await expect(index.search({ text: 'x'.repeat(201) })).rejects.toBeInstanceOf(ValidationError);
        const words = Array.from({ length: 33 }, (_, i) => `w${i}`).join(' ');
        await expect(index.search({ text: words })).rejects.toBeInstanceOf(ValidationError);
        const repeated = Array.from({ length: 40 }, () => 'au').join(' ');
        expect(await find({ text: repeated })).toEqual(['plain']);
      });
    });
  });
}
