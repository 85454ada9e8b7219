/**
 * The control group (seed §4): a deterministic share of each campaign's candidates is scored and
 * recorded but never messaged. Deterministic, so the scan, the sender and the report agree on who
 * is held out without sharing state, and a rerun never moves anyone between groups.
 */
import { createHash } from 'node:crypto';
import type { RewakeConfig } from '../config';

export function isHoldout(userId: string, campaign: string, holdout: RewakeConfig['holdout']): boolean {
  if (holdout.share <= 0) return false;
  return unitHash(`${holdout.salt}\u0000${campaign}\u0000${userId}`) < holdout.share;
}

/** A uniform number in [0, 1) from a string: the first 52 bits of its SHA-256. */
export function unitHash(text: string): number {
  const digest = createHash('sha256').update(text).digest();
  // 52 bits fit exactly in a double's mantissa.
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4) >>> 12;
  return (high * 2 ** 20 + low) / 2 ** 52;
}
