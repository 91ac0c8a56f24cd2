/**
 * PUT a file straight to its presigned OSS URL. XMLHttpRequest rather than fetch because only XHR
 * reports upload progress (`upload.onprogress`); fetch has no upload progress in browsers today.
 * The request must carry exactly the headers the URL was signed with (OSS V4 signs Content-Type), so
 * they are sent as given — except the few a browser sets itself and refuses from scripts.
 */
const BROWSER_OWNED_HEADERS = new Set(['host', 'content-length', 'connection', 'accept-encoding', 'origin', 'referer']);

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * @example await putWithProgress(ticket.uploadUrl, file, ticket.headers, (pct) => (bar.value = pct));
 */
export function putWithProgress(url: string, body: Blob, headers: Record<string, string>, onProgress: (percent: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) {
      if (!BROWSER_OWNED_HEADERS.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(Math.min(100, Math.floor((event.loaded / event.total) * 100)));
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        // Small files may finish before any progress event: the last step is always 100 %.
        onProgress(100);
        resolve();
      } else {
        reject(new UploadError(xhr.status, ossMessage(xhr.responseText) ?? `the storage service answered ${xhr.status}`));
      }
    };
    xhr.onerror = () => reject(new UploadError(0, 'the connection to the storage service failed'));
    xhr.onabort = () => reject(new UploadError(0, 'the upload was cancelled'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/** OSS errors are XML: `<Error><Code>…</Code><Message>…</Message></Error>`. */
function ossMessage(xml: string): string | undefined {
  const match = /<Message>([^<]*)<\/Message>/.exec(xml);
  return match?.[1] || undefined;
}
