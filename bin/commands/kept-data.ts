/**
 * Commands that read a store kept by `rewake serve`, `scan` or `start --data-dir` (report,
 * recommend) run on the embedded runtime over that directory. The runtime's own files (outbox,
 * decisions) go to a scratch directory, so an earlier run's out/ is left as it was.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime } from '../../infra/local/runtime';
import type { RewakeConfig } from '../../shared/config';
import { CommandError } from './fit';

export const DEFAULT_DATA_DIR = '.rewake-data';

/** Runs `work` with the emulators serving `dataDir`; exit code 1 when nothing is kept there. */
export async function withKeptData<T>(dataDir: string, config: RewakeConfig, work: () => Promise<T>): Promise<T> {
  if (!existsSync(dataDir) || readdirSync(dataDir).length === 0) {
    throw new CommandError(`no kept data in ${dataDir}: run \`rewake start --data-dir ${dataDir}\`, or \`rewake serve --data-dir ${dataDir}\` and \`rewake scan --data-dir ${dataDir}\`, first`, 1);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'rewake-'));
  const runtime = await startLocalRuntime({ config, outDir: scratch, dataDir });
  try {
    return await work();
  } finally {
    await runtime.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
