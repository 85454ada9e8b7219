/**
 * `rewake audit-outbox`: check a local run's outbox against every delivery rule (consent, opt-out,
 * deletion, holdout, quiet hours, caps, once per step, refusal and unsubscribe lines).
 *
 *   audit-outbox [--out DIR] [--data-dir DIR] [--json]
 *
 * The audit needs the run's tables as well as its outbox, so it reads a kept store: the one
 * `serve` and `scan` share (.rewake-data) unless --data-dir names another, e.g. the one given to
 * `npm start -- --data-dir DIR`. Exit codes: 0 clean, 1 violations, 2 bad usage or nothing to audit.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../../infra/aws/load-config';
import { createTables, startLocalDynamo } from '../../infra/local/dynamo';
import { auditLocalRun, formatAuditReport } from '../../infra/local/outbox-audit';

/** Where `rewake serve` and `rewake scan` keep their data by default. */
const DEFAULT_DATA_DIR = '.rewake-data';
/** The prefix the local runtime names its tables with. */
const LOCAL_TABLE_PREFIX = 'rewake-local';

export async function runAuditOutbox(argv: string[], io: { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } } = process): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { out: { type: 'string', default: 'out' }, 'data-dir': { type: 'string', default: DEFAULT_DATA_DIR }, json: { type: 'boolean', default: false } },
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`audit-outbox: ${(error as Error).message}\nusage: rewake audit-outbox [--out DIR] [--data-dir DIR] [--json]\n`);
    return 2;
  }
  const outDir = values.out;
  const dataDir = values['data-dir'];
  if (!existsSync(join(outDir, 'outbox.jsonl'))) {
    io.stderr.write(`audit-outbox: no outbox at ${join(outDir, 'outbox.jsonl')}; run the pipeline first (npm start, or rewake scan)\n`);
    return 2;
  }
  if (!existsSync(dataDir)) {
    io.stderr.write(
      `audit-outbox: no kept data at ${dataDir}. The audit reads the run's tables: run ` +
        `\`npm start -- --data-dir ${dataDir}\` (or \`rewake scan --data-dir ${dataDir}\`) first\n`,
    );
    return 2;
  }

  const { config } = loadConfig();
  const dynamo = await startLocalDynamo({ dataDir });
  try {
    // Idempotent on a kept store: reuses the tables (checking their keys) and gives their names.
    const tables = await createTables(dynamo.client, { prefix: LOCAL_TABLE_PREFIX });
    const db = DynamoDBDocumentClient.from(dynamo.client);
    const report = await auditLocalRun({
      outDir,
      config,
      db,
      tables: { events: tables.EVENTS_TABLE, profiles: tables.PROFILES_TABLE, sends: tables.SENDS_TABLE },
    });
    io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatAuditReport(report));
    return report.violations.length > 0 ? 1 : 0;
  } finally {
    await dynamo.stop();
  }
}
