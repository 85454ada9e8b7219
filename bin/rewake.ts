#!/usr/bin/env node
/**
 * The Rewake command line: run the pipeline on this machine with the same handlers as on AWS.
 *
 *   rewake start  [--as-of YYYY-MM-DD] [--out DIR] [--data-dir DIR] [--json]   the whole pipeline on the demo data
 *   rewake serve  [--port N] [--data-dir DIR]                                   the ingest API, for apps to POST to
 *   rewake scan   [--as-of YYYY-MM-DD] --data-dir DIR                            a scan and send on kept data
 *   rewake fit    --transactions FILE.csv --calibration-end YYYY-MM-DD [--json] fit the BTYD models
 *   rewake backtest --transactions FILE.csv --calibration-end YYYY-MM-DD --holdout-end YYYY-MM-DD [--json]
 *   rewake audit-outbox [--out DIR] [--data-dir DIR] [--json]                   check the outbox against the delivery rules
 *   rewake report [--data-dir DIR] [--from D] [--to D] [--out DIR] [--json]     treated vs holdout: report.html and report.json
 *   rewake recommend [--data-dir DIR] [--as-of YYYY-MM-DD] [--user ID]... [--json] train the recommender on kept data
 *   rewake eval-recs --transactions DIR_OR_FILE [--split-date YYYY-MM-DD] [--json]   evaluate the recommender offline
 */
import { quietLocalEnv } from '../infra/local/quiet-env';

// Before any handler module loads (they are imported dynamically below).
quietLocalEnv();

const USAGE = `usage: rewake <command> [options]

commands:
  start   run the whole pipeline locally on the bundled data: ingest → weekly fit, recommend, scan, send
          → the data's later events → outbox audit → reactivation report
          --as-of YYYY-MM-DD   the first of four weekly scans (default 2011-10-18: the cadence and every
                               attribution window then end inside the data)
          --out DIR            where the outbox and decisions go (default: out)
          --data-dir DIR       keep the emulator's data here instead of starting empty
          --json               print the summary as JSON
  serve   keep the local ingest API up: POST /v1/events, GET|DELETE /v1/users/{userId}
          --port N             (default: 3000)   --data-dir DIR   --no-demo-data
  scan    scan and send on data kept by an earlier run (--data-dir), as of --as-of
  fit       fit BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma:
            --transactions FILE.csv --calibration-end YYYY-MM-DD [--json]   (FILE: customer_id,date,amount)
  redrive   move dead-lettered messages back to their queue: --dlq-url URL --queue-url URL
  audit-outbox  check a local run's outbox against every delivery rule; exit 1 on a violation
            [--out DIR] [--data-dir DIR (default .rewake-data)] [--json]
  backtest  score a calibration period and compare with what customers did next:
            --transactions FILE.csv --calibration-end YYYY-MM-DD --holdout-end YYYY-MM-DD [--json]
  report    the reactivation report (回流率), treated vs holdout, on kept data; writes report.html and report.json
            [--data-dir DIR (default .rewake-data)] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--as-of YYYY-MM-DD]
            [--out DIR (default out)] [--json]
  recommend train the recommender on kept data (the weekly job, by hand) and show --user's recommendations
            [--data-dir DIR (default .rewake-data)] [--as-of YYYY-MM-DD] [--user ID]... [--json]
  eval-recs the recommender against popularity and a plain item-kNN on a time split (HR, Recall, NDCG @10):
            --transactions DIR_OR_FILE (Online Retail by-day dir or CSV) [--split-date YYYY-MM-DD (default 2011-09-01)]
            [--k 10] [--json]
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
    case 'serve':
    case 'scan': {
      const { runLocal } = await import('../infra/local/cli');
      return runLocal(command, rest);
    }
    case 'fit': {
      const { runFit } = await import('./commands/fit');
      return runFit(rest);
    }
    case 'redrive': {
      const { runRedrive } = await import('./commands/redrive');
      return runRedrive(rest);
    }
    case 'audit-outbox': {
      const { runAuditOutbox } = await import('./commands/audit-outbox');
      return runAuditOutbox(rest);
    }
    case 'backtest': {
      const { runBacktest } = await import('./commands/backtest');
      return runBacktest(rest);
    }
    case 'report': {
      const { runReport } = await import('./commands/report');
      return runReport(rest);
    }
    case 'recommend': {
      const { runRecommend } = await import('./commands/recommend');
      return runRecommend(rest);
    }
    case 'eval-recs': {
      const { runEvalRecs } = await import('./commands/eval-recs');
      return runEvalRecs(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command ? 0 : 2;
    default:
      process.stderr.write(`rewake: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`rewake: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
