/**
 * Where the stack finds the code it bundles. Resolved from this file rather than the working
 * directory, so `cdk synth` and the infra tests agree wherever they are started from.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** NodejsFunction refuses to bundle without a lock file; the repo commits one at its root. */
export const LOCK_FILE = join(REPO_ROOT, 'package-lock.json');

/** The pipeline stages that run as Lambda functions, one folder each under functions/. */
export type Stage = 'ingest' | 'profiles' | 'fit' | 'scan' | 'send' | 'unsubscribe' | 'feedback' | 'report' | 'recommend';

/** The thin Lambda handler of one pipeline stage: functions/<stage>/handler.ts (or another file there). */
export function handlerEntry(stage: Stage, file = 'handler.ts'): string {
  return join(REPO_ROOT, 'functions', stage, file);
}
