/**
 * `GET /<key>?x-oss-process=image/...` and ProcessObject (`POST …?x-oss-process`, `sys/saveas`): OSS's image
 * processing through the project's image engine (functions/_shared/images), so a thumbnail URL built for OSS works
 * locally with the same parameters. What the parameters mean is `image-plan.ts`; this runs it and answers.
 */
import { Readable } from 'node:stream';
import type { ImageEngine } from '../../../../functions/_shared/ports/image-engine';
import { isImageRejectedError } from '../../../../functions/_shared/ports/image-engine';
import { inspectForTransform } from '../../../../functions/_shared/images/inspect';
import { MAX_IMAGE_BYTES } from '../../../../functions/_shared/images/limits';
import { bucketOf, keyOf, type RequestContext } from './context';
import { OssError, ossErrors } from './errors';
import { readSmallBody, stageReadable } from './body';
import { invalid, parseImageProcess, planTransform } from './image-plan';
import { checkReadable, resolveObject, responseOverrides, versionIdOf } from './object-ops';

/** What an `x-oss-process` value makes of an object: image bytes, or the `image/info` JSON. */
interface Processed {
  contentType: string;
  body: Buffer;
  lastModified: number;
  /** The version processed, when the object has one (answered as `x-oss-version-id`). */
  versionId?: string;
}

/**
 * Runs `value` on `bucket/key` (on one of its versions with `versionId`, D156) through the engine; never hands back
 * the original bytes unprocessed. Through a symlink version, its target's current version is read, as GetObject does.
 */
async function processObject(ctx: RequestContext, engine: () => Promise<ImageEngine>, bucket: string, key: string, value: string, versionId?: string): Promise<Processed> {
  const process = parseImageProcess(value);
  const record = resolveObject(ctx, bucket, key, versionId);
  checkReadable(record, ctx.now);
  if (record.size > MAX_IMAGE_BYTES) throw new OssError(400, 'BadRequest', `The image is ${record.size} bytes; image processing takes at most ${MAX_IMAGE_BYTES}.`);
  const bytes = ctx.runtime.storage.readObject(bucket, record.key, record.key === key ? versionId : undefined);
  const processed = await render(engine, process, value, bytes, record.lastModified);
  return { ...processed, versionId: record.versionId };
}

async function render(engine: () => Promise<ImageEngine>, process: ReturnType<typeof parseImageProcess>, value: string, bytes: Buffer, lastModified: number): Promise<Processed> {
  try {
    const image = inspectForTransform(bytes);
    if (process.info) {
      const info: Record<string, { value: string }> = {
        FileSize: { value: String(bytes.length) },
        Format: { value: image.format === 'jpeg' ? 'jpg' : image.format },
        ImageHeight: { value: String(image.storedHeight) },
        ImageWidth: { value: String(image.storedWidth) },
      };
      if (image.orientation !== undefined) info.Orientation = { value: String(image.orientation) };
      return { contentType: 'application/json', body: Buffer.from(JSON.stringify(info)), lastModified };
    }
    const transform = planTransform(process, image, value);
    const out = await (await engine()).transform(bytes, transform);
    return { contentType: out.contentType, body: out.body, lastModified };
  } catch (err) {
    if (isImageRejectedError(err)) throw new OssError(400, 'BadRequest', `The object cannot be processed as an image: ${err.message}`, { Reason: err.reason });
    throw err;
  }
}

/** Answers a GET with `x-oss-process`: the processed image (or its info as JSON), never the original bytes. */
export async function processImage(ctx: RequestContext, engine: () => Promise<ImageEngine>): Promise<void> {
  const value = ctx.params.get('x-oss-process') ?? '';
  if (value.includes('|')) throw invalid('sys/saveas (and any "|" step) is only taken by POST /<object>?x-oss-process, with the process in the body.', value);
  const out = await processObject(ctx, engine, bucketOf(ctx), keyOf(ctx), value, versionIdOf(ctx));
  // A thumbnail link often asks for a download name too (response-content-disposition): OSS applies the overrides.
  const headers: Record<string, string | number> = { 'Content-Type': out.contentType, 'Last-Modified': new Date(out.lastModified).toUTCString(), ...responseOverrides(ctx) };
  if (out.versionId !== undefined) headers['x-oss-version-id'] = out.versionId;
  ctx.res.writeHead(200, { ...headers, 'Content-Length': out.body.length });
  ctx.res.end(out.body);
}

/** A saveas `o_`/`b_` value: URL-safe (or standard) base64, padding optional, of a UTF-8 name. */
function decodeSaveAsName(encoded: string, what: string, value: string): string {
  if (!/^[A-Za-z0-9_\-+/]+=*$/.test(encoded)) throw invalid(`sys/saveas ${what} must be URL-safe base64.`, value);
  return Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
}

/**
 * ProcessObject (`POST /<key>?x-oss-process`, body `x-oss-process=<process>|sys/saveas,o_<b64 key>[,b_<b64
 * bucket>]`): processes the object and stores the result as a new object (in the same bucket unless `b_` names
 * another of the account's buckets), answering with what was saved. Only `sys/saveas` is taken after the `|`.
 */
export async function saveProcessedImage(ctx: RequestContext, engine: () => Promise<ImageEngine>): Promise<void> {
  const form = new URLSearchParams((await readSmallBody(ctx.req, 64 * 1024)).toString('utf8'));
  const value = form.get('x-oss-process');
  if (!value) throw ossErrors.missingArgument('x-oss-process (the request body must be x-oss-process=<process>|sys/saveas,o_<target>)');
  const [process = '', ...steps] = value.split('|');
  const saveAs = steps.length === 1 && steps[0]?.startsWith('sys/saveas,') ? steps[0] : undefined;
  if (saveAs === undefined) {
    const other = steps.find((step) => !step.startsWith('sys/saveas'));
    if (other) throw ossErrors.notImplemented(`Processing step "${other.split(',')[0]}" after "|" (only sys/saveas is emulated)`);
    throw invalid('ProcessObject needs exactly one sys/saveas step: <process>|sys/saveas,o_<base64 key>[,b_<base64 bucket>].', value);
  }
  const params = new Map(saveAs.slice('sys/saveas,'.length).split(',').map((p) => [p.slice(0, p.indexOf('_')), p.slice(p.indexOf('_') + 1)] as const));
  for (const name of params.keys()) if (name !== 'o' && name !== 'b') throw invalid(`sys/saveas has no parameter "${name}".`, value);
  const encodedKey = params.get('o');
  if (!encodedKey) throw ossErrors.missingArgument('sys/saveas o_ (the target object)');
  const targetKey = decodeSaveAsName(encodedKey, 'o_', value);
  const encodedBucket = params.get('b');
  const targetBucket = encodedBucket ? decodeSaveAsName(encodedBucket, 'b_', value) : bucketOf(ctx);
  if (targetKey === '' || targetKey.startsWith('/') || Buffer.byteLength(targetKey) > 1023) throw ossErrors.invalidArgument('The sys/saveas target is not a valid object name.', 'o', targetKey);
  if (!ctx.runtime.storage.hasBucket(targetBucket)) throw ossErrors.noSuchBucket(targetBucket);

  const out = await processObject(ctx, engine, bucketOf(ctx), keyOf(ctx), process);
  const { storage } = ctx.runtime;
  const staged = await stageReadable(Readable.from([out.body]), { tmpDir: storage.tmpDir, maxBytes: ctx.runtime.maxObjectBytes });
  const { record } = await storage.commitObject(targetBucket, targetKey, staged, { contentType: out.contentType, meta: {} }, { type: 'Normal' });
  const body = Buffer.from(JSON.stringify({ bucket: targetBucket, fileSize: record.size, object: targetKey, status: 'OK' }));
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, ETag: `"${record.etag}"` });
  ctx.res.end(body);
}
