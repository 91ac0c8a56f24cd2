/**
 * Lifecycle rules applied on the emulator's clock: Expiration deletes objects, Transition moves them to a colder
 * storage class, AbortMultipartUpload aborts stale uploads — each under the rule's prefix (and tags for objects),
 * `Days` after the last modification (or initiation), or for everything older than `CreatedBeforeDate`. In a
 * versioned bucket (D156) Expiration leaves a delete marker, as a DeleteObject does; NoncurrentVersionExpiration
 * removes previous versions `NoncurrentDays` after they stopped being current (when the next newer version was
 * written), NoncurrentVersionTransition moves them to a colder class after as many days, and
 * `ExpiredObjectDeleteMarker` removes a delete marker that is the only version of its key left.
 * OSS runs rules once a day and acts within a day or two of the due time; locally a sweep acts as soon as a rule is
 * due, so a test that moves the clock sees the effect at the next sweep (`OssEmulator.runLifecycle()`).
 */
import type { LifecycleAction, LifecycleRule } from './bucket-config';
import type { OssStorage, StorageClass, VersionEntry } from './storage';

const DAY_MS = 86_400_000;
const COLDNESS: Record<StorageClass, number> = { Standard: 0, IA: 1, Archive: 2, ColdArchive: 3, DeepColdArchive: 4 };

export interface LifecycleReport {
  expired: Array<{ bucket: string; key: string }>;
  transitioned: Array<{ bucket: string; key: string; storageClass: StorageClass }>;
  aborted: Array<{ bucket: string; key: string; uploadId: string }>;
  /** Previous versions and delete markers removed for good (versioned buckets, D156). */
  versionsRemoved: Array<{ bucket: string; key: string; versionId: string; deleteMarker: boolean }>;
  /** Previous versions moved to a colder class (NoncurrentVersionTransition). */
  versionsTransitioned: Array<{ bucket: string; key: string; versionId: string; storageClass: StorageClass }>;
}

function due(action: LifecycleAction, since: number, now: number): boolean {
  if (action.days !== undefined) return since + action.days * DAY_MS <= now;
  return action.createdBefore !== undefined && since < action.createdBefore;
}

function tagsMatch(rule: LifecycleRule, tags: Record<string, string> | undefined): boolean {
  return Object.entries(rule.tags).every(([key, value]) => tags?.[key] === value);
}

/** One sweep over every bucket's enabled rules. */
export async function runLifecycle(storage: OssStorage, now: number): Promise<LifecycleReport> {
  const report: LifecycleReport = { expired: [], transitioned: [], aborted: [], versionsRemoved: [], versionsTransitioned: [] };
  for (const bucket of storage.listBuckets()) {
    const rules = ((bucket.config.lifecycle as LifecycleRule[] | undefined) ?? []).filter((rule) => rule.enabled);
    for (const rule of rules) {
      const expiration = rule.expiration && rule.expiration.expiredObjectDeleteMarker === undefined ? rule.expiration : undefined;
      if (expiration || rule.transitions.length > 0) {
        // Collected first: the walk must not see rows change under it.
        const records = [...storage.objectsUnder(bucket.name, rule.prefix)].filter((record) => tagsMatch(rule, record.tags));
        for (const record of records) {
          if (expiration && due(expiration, record.lastModified, now)) {
            await storage.deleteObject(bucket.name, record.key);
            report.expired.push({ bucket: bucket.name, key: record.key });
            continue;
          }
          const target = rule.transitions
            .filter((t) => due(t, record.lastModified, now) && COLDNESS[t.storageClass] > COLDNESS[record.storageClass ?? 'Standard'])
            .sort((a, b) => COLDNESS[b.storageClass] - COLDNESS[a.storageClass])[0];
          if (target && record.type !== 'Symlink') {
            storage.updateObject(bucket.name, record.key, (headers) => ({ ...headers, storageClass: target.storageClass }));
            report.transitioned.push({ bucket: bucket.name, key: record.key, storageClass: target.storageClass });
          }
        }
      }
      if (rule.noncurrentDays !== undefined || rule.noncurrentTransitions !== undefined || rule.expiration?.expiredObjectDeleteMarker === true) {
        await expireVersions(storage, bucket.name, rule, now, report);
      }
      if (rule.abortMultipartUpload) {
        for (const upload of storage.listUploads(bucket.name)) {
          if (upload.key.startsWith(rule.prefix) && due(rule.abortMultipartUpload, upload.initiated, now)) {
            await storage.abortUpload(upload.uploadId);
            report.aborted.push({ bucket: bucket.name, key: upload.key, uploadId: upload.uploadId });
          }
        }
      }
    }
  }
  return report;
}

const versionIdOf = (entry: VersionEntry) => (entry.kind === 'object' ? entry.record.versionId : entry.marker.versionId);
const createdAt = (entry: VersionEntry) => (entry.kind === 'object' ? entry.record.lastModified : entry.marker.lastModified);

/** NoncurrentVersionExpiration and ExpiredObjectDeleteMarker of one rule over the keys under its prefix. */
async function expireVersions(storage: OssStorage, bucket: string, rule: LifecycleRule, now: number, report: LifecycleReport): Promise<void> {
  // Collected first: the walk must not see rows change under it.
  const keys = [...storage.versionedKeysUnder(bucket, rule.prefix)];
  const removed = (key: string, entry: VersionEntry) => report.versionsRemoved.push({ bucket, key, versionId: versionIdOf(entry), deleteMarker: entry.kind === 'marker' });
  for (const key of keys) {
    const versions = storage.versionsOf(bucket, key);
    if (rule.noncurrentDays !== undefined) {
      for (let i = 1; i < versions.length; i++) {
        const entry = versions[i]!;
        // Noncurrent since its successor was written; a rule with tags matches only versions carrying them.
        const since = createdAt(versions[i - 1]!);
        const tagged = entry.kind === 'object' ? tagsMatch(rule, entry.record.tags) : Object.keys(rule.tags).length === 0;
        if (tagged && since + rule.noncurrentDays * DAY_MS <= now) {
          await storage.deleteVersion(bucket, key, versionIdOf(entry));
          removed(key, entry);
        }
      }
    }
    if (rule.noncurrentTransitions !== undefined) {
      const left = storage.versionsOf(bucket, key);
      for (let i = 1; i < left.length; i++) {
        const entry = left[i]!;
        if (entry.kind !== 'object' || entry.record.type === 'Symlink' || !tagsMatch(rule, entry.record.tags)) continue;
        const since = createdAt(left[i - 1]!);
        const current = entry.record.storageClass ?? 'Standard';
        const target = rule.noncurrentTransitions
          .filter((t) => since + t.days * DAY_MS <= now && COLDNESS[t.storageClass] > COLDNESS[current])
          .sort((a, b) => COLDNESS[b.storageClass] - COLDNESS[a.storageClass])[0];
        if (target && storage.updatePreviousVersion(bucket, key, entry.record.versionId, (headers) => ({ ...headers, storageClass: target.storageClass }))) {
          report.versionsTransitioned.push({ bucket, key, versionId: entry.record.versionId, storageClass: target.storageClass });
        }
      }
    }
    if (rule.expiration?.expiredObjectDeleteMarker === true) {
      const left = storage.versionsOf(bucket, key);
      const only = left.length === 1 ? left[0]! : undefined;
      if (only?.kind === 'marker') {
        await storage.deleteVersion(bucket, key, only.marker.versionId);
        removed(key, only);
      }
    }
  }
}
