/** A flag change (add some, remove some) applied to flag lists and to a folder cache. */
import type { FolderCache } from '../cacheContract';

/** Applies a flag change to what the cache holds now; true when any message changed. */
export function reapplyFlagChange(cache: FolderCache, uids: number[], change: { add?: string[]; remove?: string[] }): boolean {
  let changed = false;
  for (const uid of uids) {
    const now = cache.get(uid);
    if (!now) continue;
    const flags = withFlagChange(now.flags, change);
    if (sameFlagList(now.flags, flags)) continue;
    cache.setFlags(uid, flags, now.modseq);
    changed = true;
  }
  return changed;
}

export function withFlagChange(flags: readonly string[], change: { add?: string[]; remove?: string[] }): string[] {
  const out = new Set(flags);
  for (const f of change.add ?? []) out.add(f);
  for (const f of change.remove ?? []) out.delete(f);
  return [...out];
}

export function sameFlagList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}

