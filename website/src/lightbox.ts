import { esc } from './dom';
import { ICONS } from './icons';

/**
 * One photo viewer for the whole site: a modal `<dialog>` (Escape closes it, focus is trapped and
 * returns to the thumbnail that opened it — the browser does both for `showModal()`).
 * Any element with `data-lightbox="<large url>"` (and `data-caption`) opens it when clicked.
 */
function dialog(): HTMLDialogElement {
  let box = document.getElementById('lightbox') as HTMLDialogElement | null;
  if (box) return box;
  box = document.createElement('dialog');
  box.id = 'lightbox';
  box.className = 'lightbox';
  box.setAttribute('aria-label', 'Photo');
  box.innerHTML = `<button class="lightbox-close" type="button" aria-label="Close photo">${ICONS.close}</button><figure><img alt="" /><figcaption></figcaption></figure>`;
  box.querySelector('button')!.addEventListener('click', () => box!.close());
  // A click on the backdrop (outside the figure) closes it too.
  box.addEventListener('click', (event) => {
    if (event.target === box) box!.close();
  });
  document.body.append(box);
  return box;
}

export function openLightbox(url: string, caption: string): void {
  const box = dialog();
  const img = box.querySelector('img')!;
  img.src = url;
  img.alt = caption;
  box.querySelector('figcaption')!.innerHTML = esc(caption);
  box.showModal();
}

export function installLightbox(): void {
  document.addEventListener('click', (event) => {
    const opener = (event.target as HTMLElement).closest<HTMLElement>('[data-lightbox]');
    if (!opener) return;
    event.preventDefault();
    openLightbox(opener.dataset.lightbox!, opener.dataset.caption ?? '');
  });
}
