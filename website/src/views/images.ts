import type { ProductListResponse } from '../../../functions/_shared/contracts/product-page';
import { api, ApiError, apiUrl, session } from '../api';
import { esc, messageOf, setMain } from '../dom';
import { ICONS } from '../icons';
import {
  ACCEPTED_TYPES,
  MAX_UPLOAD_BYTES,
  TITLE_MAX,
  getImage,
  parseTags,
  rejectionText,
  requestUpload,
  searchImages,
  type ImageView,
  type SearchHitView,
  type SearchQuery,
} from '../images-api';
import type { RouteContext } from '../main';
import { putWithProgress, UploadError } from '../upload';

/**
 * The Photos page (issue 4, part 5): upload a photo straight to OSS with a progress bar, watch it go
 * from pending to ready, browse the gallery and search it.
 *
 * The API has no "my uploads" listing, so the uploads made in this browser are remembered in
 * localStorage (per user) and their status is read from `GET /api/images/{id}`.
 */
const POLL_INTERVAL_MS = 500;
/** 2 minutes of polling at most; then the item says it is still processing and polling stops. */
const POLL_MAX_TRIES = 240;
/** Photos per page; `?limit=` in the address overrides it (handy to share a short list, and for tests). */
const PAGE_SIZE = 12;
/** How long to wait for a ready photo to reach the search index before the gallery stops looking. */
const INDEX_WAIT_TRIES = 20;
const MY_UPLOADS_KEPT = 8;

interface MyUpload {
  imageId: string;
  title: string;
  createdAt: string;
  /** Set when the browser's PUT to OSS failed: the server row stays pending forever, so stop asking. */
  failed?: string;
}

type UploadView = { phase: 'uploading'; percent: number } | { phase: 'failed'; message: string } | { phase: 'waiting' } | { phase: 'stalled' } | { phase: 'known'; image: ImageView };

export async function renderImagesPage(ctx: RouteContext): Promise<void> {
  const user = session();
  const main = setMain(`<section class="page-head"><h1>Photos</h1><p class="muted">Buyer-show photos from our customers. Uploads go straight to storage and appear in the gallery as soon as their thumbnails are ready.</p></section>
  <div class="images-layout">
    <section class="panel upload-panel" aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload a photo</h2>
      ${user ? uploadForm() : signInPrompt()}
      ${user ? '<h3 class="subhead">My recent uploads</h3><ul class="my-uploads" data-testid="my-uploads"></ul>' : ''}
    </section>
    <section class="panel gallery-panel" aria-labelledby="gallery-heading">
      <h2 id="gallery-heading">Gallery</h2>
      ${searchForm(ctx.query)}
      <p class="results-info muted small" role="status" data-testid="results-info"></p>
      <ul class="photo-grid" data-testid="gallery" aria-busy="true"></ul>
      <div class="load-more-row"><button class="secondary" type="button" id="load-more" hidden>Load more photos</button></div>
    </section>
  </div>`);

  // Both forms are wired before anything is awaited: a form on screen without its handlers submits itself the
  // browser's way (a reload as /images?file=…, nothing uploaded) and a file picked meanwhile gets no preview. The
  // product list (names for the selects and the cards) took long enough on a busy machine for that to happen (D163).
  const products = new Map<string, string>();
  const pageSize = Math.min(48, Math.max(1, Number(ctx.query.get('limit')) || PAGE_SIZE));
  const gallery = new Gallery(main, products, pageSize, ctx.signal);
  if (user) new Uploader(main, user.username, ctx.signal, (imageId) => void gallery.showWhenIndexed(imageId));
  for (const [id, name] of await loadProducts()) products.set(id, name);
  if (ctx.signal.aborted) return;
  fillProductSelects(main, products, ctx.query.get('productId') ?? '');
  // The first search waits for the names, so that its cards say which product each photo shows.
  await gallery.search(queryFromForm(main.querySelector<HTMLFormElement>('#search-form')!));
}

function signInPrompt(): string {
  return `<div class="sign-in-prompt" data-testid="sign-in-prompt">${ICONS.upload}<p>Sign in to upload your photos. Browsing and searching the gallery needs no account.</p><a class="button-link" href="/sign-in?next=%2Fimages" data-link>Sign in to upload</a></div>`;
}

function uploadForm(): string {
  return `<form id="upload-form" class="stacked-form" novalidate>
    <label for="upload-file">Photo <span class="hint">JPEG, PNG or WebP, up to 20 MB</span></label>
    <input type="file" id="upload-file" name="file" accept="${ACCEPTED_TYPES.join(',')}" required />
    <div class="preview" hidden><img alt="Preview of the selected photo" /></div>
    <label for="upload-title">Title <span class="hint">optional</span></label>
    <input id="upload-title" name="title" placeholder="Sunset hike with my new backpack" />
    <label for="upload-product">Product <span class="hint">optional</span></label>
    <select id="upload-product" name="productId" data-products="none"><option value="">No product</option></select>
    <label for="upload-tags">Tags <span class="hint">optional, separated by commas</span></label>
    <input id="upload-tags" name="tags" placeholder="travel, outdoor" />
    <div class="progress" data-testid="upload-progress" hidden>
      <progress id="upload-progress" max="100" value="0" aria-labelledby="upload-progress-label"></progress>
      <span id="upload-progress-label" class="small">Uploading… 0%</span>
    </div>
    <p class="error" role="alert" data-testid="upload-error" hidden></p>
    <button class="primary" type="submit">${ICONS.upload}<span>Upload</span></button>
  </form>`;
}

function searchForm(query: URLSearchParams): string {
  return `<form id="search-form" class="search-form" role="search" aria-label="Search photos">
    <div class="search-box">
      ${ICONS.search}
      <label for="search-q" class="sr-only">Search photos</label>
      <input type="search" id="search-q" name="q" value="${esc(query.get('q') ?? '')}" placeholder="Search by title, tag or product" />
    </div>
    <div class="filters">
      <label for="search-tag">Tag</label>
      <input id="search-tag" name="tag" value="${esc(query.get('tag') ?? '')}" placeholder="any" size="10" />
      <label for="search-product">Product</label>
      <select id="search-product" name="productId" data-products="all"><option value="">All products</option></select>
      <button class="secondary" type="submit">Search</button>
    </div>
  </form>`;
}

async function loadProducts(): Promise<Map<string, string>> {
  try {
    const { data } = await api<ProductListResponse>('/api/products?limit=100');
    return new Map(data.items.map((p) => [p.productId, p.name]));
  } catch {
    // The product filter is a convenience: without it the page still uploads and searches.
    return new Map();
  }
}

function fillProductSelects(main: HTMLElement, products: Map<string, string>, selected: string): void {
  const options = [...products].map(([id, name]) => `<option value="${esc(id)}">${esc(name)}</option>`).join('');
  for (const select of main.querySelectorAll<HTMLSelectElement>('select[data-products]')) {
    select.insertAdjacentHTML('beforeend', options);
    if (select.id === 'search-product') select.value = products.has(selected) ? selected : '';
  }
}

function queryFromForm(form: HTMLFormElement): SearchQuery {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '').trim();
  const tag = parseTags(text('tag'))[0];
  return { q: text('q') || undefined, tag, productId: text('productId') || undefined };
}

/** Gallery and search: newest first without a query, ranked with one; "load more" follows the cursor. */
class Gallery {
  private readonly grid: HTMLUListElement;
  private readonly info: HTMLElement;
  private readonly more: HTMLButtonElement;
  private query: SearchQuery = {};
  private cursor: string | undefined;
  private shown = 0;
  private generation = 0;

  constructor(
    private readonly main: HTMLElement,
    private readonly products: Map<string, string>,
    private readonly pageSize: number,
    private readonly signal: AbortSignal,
  ) {
    this.grid = main.querySelector('.photo-grid')!;
    this.info = main.querySelector('.results-info')!;
    this.more = main.querySelector('#load-more')!;
    const form = main.querySelector<HTMLFormElement>('#search-form')!;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const query = queryFromForm(form);
      history.replaceState({}, '', `/images${toSearchString(query, this.pageSize)}`);
      void this.search(query);
    });
    form.querySelector('#search-product')!.addEventListener('change', () => form.requestSubmit());
    this.more.addEventListener('click', () => void this.loadMore());
  }

  /**
   * After an upload of mine becomes ready, show it if the person is looking at the newest photos.
   * The search index is updated a moment after the image row (TableStore stream → index-image), so
   * look again a few times until the photo is in.
   */
  async showWhenIndexed(imageId: string): Promise<void> {
    for (let attempt = 0; attempt < INDEX_WAIT_TRIES && !this.signal.aborted; attempt++) {
      if (this.query.q || this.query.tag || this.query.productId) return;
      await this.search(this.query, { quietly: true });
      if (this.grid.querySelector(`[data-image-id="${CSS.escape(imageId)}"]`)) return;
      await sleep(POLL_INTERVAL_MS, this.signal);
    }
  }

  /** `quietly`: a look again in the background (an upload reaching the index) says nothing until it has an answer. */
  async search(query: SearchQuery, { quietly = false } = {}): Promise<void> {
    this.query = query;
    this.cursor = undefined;
    this.shown = 0;
    const generation = ++this.generation;
    this.grid.setAttribute('aria-busy', 'true');
    // On a slow connection the answer takes seconds: say the search was taken, and grey what the last one found.
    if (!quietly) {
      this.info.classList.remove('error-text');
      this.info.textContent = 'Searching…';
      this.grid.classList.add('searching');
    }
    try {
      const page = await searchImages({ ...query, limit: this.pageSize });
      if (generation !== this.generation || this.signal.aborted) return;
      this.grid.innerHTML = '';
      this.append(page.hits, page.nextCursor);
    } catch (err) {
      if (generation !== this.generation || this.signal.aborted) return;
      this.grid.innerHTML = '';
      this.more.hidden = true;
      this.info.innerHTML = `${ICONS.alert}<span>The gallery is unavailable right now: ${esc(messageOf(err))}. Try again in a moment.</span>`;
      this.info.classList.add('error-text');
    } finally {
      if (generation === this.generation) {
        this.grid.setAttribute('aria-busy', 'false');
        this.grid.classList.remove('searching');
      }
    }
  }

  private async loadMore(): Promise<void> {
    if (!this.cursor) return;
    const generation = this.generation;
    this.more.disabled = true;
    try {
      const page = await searchImages({ ...this.query, limit: this.pageSize, cursor: this.cursor });
      if (generation !== this.generation || this.signal.aborted) return;
      this.append(page.hits, page.nextCursor);
      // Keep keyboard users in place: focus the first newly added photo.
      this.grid.querySelectorAll<HTMLElement>('.photo-open')[this.shown - page.hits.length]?.focus();
    } catch (err) {
      this.info.textContent = `Could not load more photos: ${messageOf(err)}.`;
      // Back on the button (disabled while loading, it had lost the focus), to press it again.
      this.more.disabled = false;
      this.more.focus();
    } finally {
      this.more.disabled = false;
    }
  }

  private append(hits: SearchHitView[], nextCursor: string | undefined): void {
    this.grid.insertAdjacentHTML('beforeend', hits.map((hit) => this.card(hit)).join(''));
    this.shown += hits.length;
    this.cursor = nextCursor;
    this.more.hidden = !nextCursor;
    this.info.classList.remove('error-text');
    const filtered = Boolean(this.query.q || this.query.tag || this.query.productId);
    if (this.shown === 0) {
      this.info.innerHTML = filtered ? `No photos match ${esc(describe(this.query, this.products))}.` : 'No photos yet. Be the first to upload one!';
    } else {
      const count = `${this.shown} photo${this.shown === 1 ? '' : 's'}${nextCursor ? ' so far' : ''}`;
      this.info.innerHTML = filtered ? `${count} matching ${esc(describe(this.query, this.products))}` : `${count}, newest first`;
    }
  }

  private card(hit: SearchHitView): string {
    const title = hit.title || 'Untitled photo';
    const product = hit.productId ? this.products.get(hit.productId) : undefined;
    return `<li class="photo" data-testid="gallery-item" data-image-id="${esc(hit.imageId)}">
      <button type="button" class="photo-open" data-lightbox="${esc(apiUrl(hit.thumbnails.large))}" data-caption="${esc(title)}">
        <img src="${esc(apiUrl(hit.thumbnails.small))}" alt="${esc(title)}" width="256" height="256" loading="lazy" />
      </button>
      <div class="photo-meta">
        <span class="photo-title">${esc(title)}</span>
        ${product ? `<a class="small" href="/products/${esc(hit.productId!)}" data-link>${esc(product)}</a>` : ''}
        ${hit.tags.length ? `<div class="tags">${hit.tags.map((t) => `<span class="tag">#${esc(t)}</span>`).join('')}</div>` : ''}
      </div>
    </li>`;
  }
}

function describe(query: SearchQuery, products: Map<string, string>): string {
  const parts = [query.q ? `“${query.q}”` : '', query.tag ? `tag #${query.tag}` : '', query.productId ? (products.get(query.productId) ?? query.productId) : ''];
  return parts.filter(Boolean).join(', ');
}

function toSearchString(query: SearchQuery, pageSize: number): string {
  const params = new URLSearchParams();
  if (pageSize !== PAGE_SIZE) params.set('limit', String(pageSize));
  if (query.q) params.set('q', query.q);
  if (query.tag) params.set('tag', query.tag);
  if (query.productId) params.set('productId', query.productId);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The upload form and the list of my recent uploads with their live status. */
class Uploader {
  private readonly form: HTMLFormElement;
  private readonly list: HTMLUListElement;
  private readonly views = new Map<string, UploadView>();
  private readonly storageKey: string;
  /** The upload the progress bar is about, so its label can say when the photo is ready. */
  private latest: string | undefined;

  constructor(
    main: HTMLElement,
    username: string,
    private readonly signal: AbortSignal,
    private readonly onReady: (imageId: string) => void,
  ) {
    this.form = main.querySelector('#upload-form')!;
    this.list = main.querySelector('.my-uploads')!;
    this.storageKey = `fcsuite.uploads.${username}`;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.upload();
    });
    const input = this.form.querySelector<HTMLInputElement>('#upload-file')!;
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      // Say at once why a picked file cannot be sent (a text file, 25 MB), rather than only after Upload.
      this.showError(file ? checkFile(file) : undefined);
      this.preview(file);
    });
    this.renderList();
    for (const item of this.remembered()) if (!item.failed) void this.follow(item.imageId);
  }

  private remembered(): MyUpload[] {
    try {
      return (JSON.parse(localStorage.getItem(this.storageKey) ?? '[]') as MyUpload[]).slice(0, MY_UPLOADS_KEPT);
    } catch {
      return [];
    }
  }

  private remember(update: (items: MyUpload[]) => MyUpload[]): void {
    localStorage.setItem(this.storageKey, JSON.stringify(update(this.remembered()).slice(0, MY_UPLOADS_KEPT)));
  }

  private preview(file: File | undefined): void {
    const box = this.form.querySelector<HTMLElement>('.preview')!;
    const img = box.querySelector('img')!;
    if (img.src) URL.revokeObjectURL(img.src);
    if (!file || !(ACCEPTED_TYPES as readonly string[]).includes(file.type)) {
      box.hidden = true;
      img.removeAttribute('src');
      return;
    }
    // A file the browser cannot decode showed a broken-image icon; the pipeline will refuse it as damaged too.
    img.onerror = () => {
      box.hidden = true;
      this.showError(`“${file.name}” could not be read as a photo: it may be damaged.`);
    };
    img.src = URL.createObjectURL(file);
    box.hidden = false;
    const title = this.form.querySelector<HTMLInputElement>('#upload-title')!;
    // A file name is a decent default title ("beach-day.jpg" → "beach day").
    // Cut by code points, as the API counts them: a UTF-16 slice could halve an emoji.
    if (!title.value) title.value = [...file.name.replace(/\.[^.]+$/, '').replace(/[-_]+/g, ' ').trim()].slice(0, TITLE_MAX).join('');
  }

  private showError(text: string | undefined): void {
    const error = this.form.querySelector<HTMLElement>('.error')!;
    error.hidden = !text;
    error.textContent = text ?? '';
  }

  private setProgress(percent: number, label: string): void {
    const box = this.form.querySelector<HTMLElement>('.progress')!;
    box.hidden = false;
    box.querySelector('progress')!.value = percent;
    box.querySelector('span')!.textContent = label;
  }

  private async upload(): Promise<void> {
    const data = new FormData(this.form);
    const file = this.form.querySelector<HTMLInputElement>('#upload-file')!.files?.[0];
    const problem = checkFile(file);
    if (problem || !file) {
      this.form.querySelector<HTMLElement>('.progress')!.hidden = true;
      this.showError(problem ?? 'Choose a photo to upload.');
      this.form.querySelector<HTMLInputElement>('#upload-file')!.focus();
      return;
    }
    const title = String(data.get('title') ?? '').trim();
    // No maxlength on the field: it cut a pasted title short without a word. The API's limit, said here before
    // anything is sent (the API refuses it too).
    const titleLength = [...title].length;
    if (titleLength > TITLE_MAX) {
      this.form.querySelector<HTMLElement>('.progress')!.hidden = true;
      this.showError(`A title is at most ${TITLE_MAX} characters; this one has ${titleLength}.`);
      this.form.querySelector<HTMLInputElement>('#upload-title')!.focus();
      return;
    }
    this.showError(undefined);
    const button = this.form.querySelector<HTMLButtonElement>('button[type=submit]')!;
    button.disabled = true;
    const productId = String(data.get('productId') ?? '');
    const tags = parseTags(String(data.get('tags') ?? ''));
    this.setProgress(0, 'Preparing upload…');
    try {
      const ticket = await requestUpload({ filename: file.name, contentType: file.type, size: file.size, ...(title ? { title } : {}), ...(productId ? { productId } : {}), ...(tags.length ? { tags } : {}) });
      this.latest = ticket.imageId;
      this.remember((items) => [{ imageId: ticket.imageId, title: title || file.name, createdAt: new Date().toISOString() }, ...items]);
      this.views.set(ticket.imageId, { phase: 'uploading', percent: 0 });
      this.renderList();
      try {
        await putWithProgress(ticket.uploadUrl, file, ticket.headers, (percent) => {
          this.setProgress(percent, `Uploading… ${percent}%`);
          this.views.set(ticket.imageId, { phase: 'uploading', percent });
          this.renderItem(ticket.imageId);
        }, this.signal);
      } catch (err) {
        const message = err instanceof UploadError ? err.message : messageOf(err);
        this.remember((items) => items.map((i) => (i.imageId === ticket.imageId ? { ...i, failed: message } : i)));
        this.views.set(ticket.imageId, { phase: 'failed', message });
        this.renderItem(ticket.imageId);
        throw err;
      }
      this.setProgress(100, 'Uploaded 100%. Making thumbnails…');
      this.form.reset();
      this.preview(undefined);
      this.views.set(ticket.imageId, { phase: 'waiting' });
      this.renderItem(ticket.imageId);
      void this.follow(ticket.imageId);
    } catch (err) {
      if (this.signal.aborted) return;
      this.form.querySelector<HTMLElement>('.progress')!.hidden = true;
      this.showError(uploadErrorText(err));
    } finally {
      button.disabled = false;
    }
  }

  /** Poll one image until the pipeline settles it (ready or rejected), updating its row each time. */
  private async follow(imageId: string): Promise<void> {
    for (let attempt = 0; attempt < POLL_MAX_TRIES && !this.signal.aborted; attempt++) {
      try {
        const image = await getImage(imageId);
        if (this.signal.aborted) return;
        const before = this.views.get(imageId);
        const wasPending = before?.phase === 'waiting' || (before?.phase === 'known' && before.image.status === 'pending');
        this.views.set(imageId, { phase: 'known', image });
        this.renderItem(imageId);
        if (image.status !== 'pending') {
          if (imageId === this.latest) this.setProgress(100, image.status === 'ready' ? 'Uploaded 100%: your photo is ready.' : 'Uploaded 100%, but the photo was refused (see below).');
          if (image.status === 'ready' && wasPending) this.onReady(imageId);
          return;
        }
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          // Forgotten by the server (e.g. a reset local cloud): forget it here too.
          this.remember((items) => items.filter((i) => i.imageId !== imageId));
          this.views.delete(imageId);
          this.renderList();
          return;
        }
      }
      await sleep(POLL_INTERVAL_MS, this.signal);
    }
    if (this.signal.aborted) return;
    this.views.set(imageId, { phase: 'stalled' });
    this.renderItem(imageId);
  }

  private renderList(): void {
    const items = this.remembered();
    this.list.innerHTML = items.length
      ? items.map((item) => `<li class="my-upload" data-image-id="${esc(item.imageId)}" data-testid="my-upload"></li>`).join('')
      : '<li class="muted small empty-uploads">Nothing uploaded from this browser yet.</li>';
    for (const item of items) {
      if (item.failed && !this.views.has(item.imageId)) this.views.set(item.imageId, { phase: 'failed', message: item.failed });
      this.renderItem(item.imageId);
    }
  }

  private renderItem(imageId: string): void {
    const li = this.list.querySelector<HTMLElement>(`li[data-image-id="${CSS.escape(imageId)}"]`);
    const item = this.remembered().find((i) => i.imageId === imageId);
    if (!li || !item) return;
    const view = this.views.get(imageId) ?? { phase: 'waiting' };
    const image = view.phase === 'known' ? view.image : undefined;
    const title = image?.title || item.title || 'Untitled photo';
    const status = statusOf(view);
    li.dataset.status = status.key;
    const thumb =
      image?.status === 'ready' && image.thumbnails
        ? `<button type="button" class="thumb" data-lightbox="${esc(apiUrl(image.thumbnails.large))}" data-caption="${esc(title)}"><img src="${esc(apiUrl(image.thumbnails.small))}" alt="${esc(title)}" width="64" height="64" data-testid="my-upload-thumb" /></button>`
        : `<span class="thumb placeholder">${ICONS.image}</span>`;
    li.innerHTML = `${thumb}<div class="my-upload-text"><span class="photo-title">${esc(title)}</span><span class="status ${status.key}" data-testid="upload-status">${status.html}</span></div>`;
  }
}

function statusOf(view: UploadView): { key: string; html: string } {
  switch (view.phase) {
    case 'uploading':
      return { key: 'uploading', html: `Uploading ${view.percent}%` };
    case 'failed':
      return { key: 'failed', html: `Upload failed: ${esc(view.message)}` };
    case 'waiting':
      return { key: 'pending', html: 'Processing…' };
    case 'stalled':
      return { key: 'pending', html: 'Still processing — check back later' };
    case 'known':
      if (view.image.status === 'ready') {
        const size = view.image.width && view.image.height ? ` · ${view.image.width}×${view.image.height}` : '';
        return { key: 'ready', html: `${ICONS.check}<span>Ready${size}</span>` };
      }
      if (view.image.status === 'rejected') return { key: 'rejected', html: `Rejected: ${esc(rejectionText(view.image.reason))}` };
      return { key: 'pending', html: 'Processing…' };
  }
}

/** What the browser can tell before asking the API (which checks again, and sniffs the bytes later). */
function checkFile(file: File | undefined): string | undefined {
  if (!file) return 'Choose a photo to upload.';
  if (!(ACCEPTED_TYPES as readonly string[]).includes(file.type)) return `“${file.name}” is not a JPEG, PNG or WebP photo.`;
  if (file.size > MAX_UPLOAD_BYTES) return `“${file.name}” is ${(file.size / 1048576).toFixed(1)} MB; the limit is 20 MB.`;
  if (file.size === 0) return `“${file.name}” is empty.`;
  return undefined;
}

function uploadErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Your session has expired. Sign in again to upload.';
    if (err.details?.length) return `The photo was not accepted: ${err.details.map((d) => d.message).join('; ')}.`;
    return `The photo was not accepted: ${err.message}.`;
  }
  if (err instanceof UploadError) return `The upload did not finish: ${err.message}. Try again.`;
  return `The upload did not finish: ${messageOf(err)}.`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
