/**
 * `rewake recommend`: the weekly recommender job, run by hand on data kept by `rewake serve`,
 * `scan` or `start --data-dir` (the same handler the stack schedules), then what it would
 * recommend to the users named with --user.
 *
 *   recommend [--data-dir DIR] [--as-of YYYY-MM-DD] [--user ID]... [--json]
 *
 * Exit codes: 0 trained, 1 no kept data, 2 bad usage.
 */
import { loadConfig } from '../../infra/aws/load-config';
import { fakeLambdaContext } from '../../infra/local/lambda-context';
import { now as clockNow } from '../../shared/clock';
import { ENV, requireEnv } from '../../shared/env';
import { recommend } from '../../shared/recommend';
import { documentClient } from '../../shared/store/dynamo';
import { ProfileStore } from '../../shared/store/profile-store';
import { RecommendationStore } from '../../shared/store/recommendation-store';
import { CommandError, type CommandIO } from './fit';
import { DEFAULT_DATA_DIR, withKeptData } from './kept-data';

const USAGE = 'usage: recommend [--data-dir DIR] [--as-of YYYY-MM-DD] [--user ID]... [--json]';

export async function runRecommend(argv: string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const { dataDir, asOf, users, json } = parseArgs(argv);
    if (asOf === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const now = asOf ? new Date(`${asOf}T23:59:59Z`) : clockNow();
    const { config } = loadConfig();
    return await withKeptData(dataDir, config, async () => {
      const { handler } = await import('../../functions/recommend/handler');
      const trained = await handler({ source: 'cli', now: now.toISOString() }, fakeLambdaContext({ functionName: 'rewake-recommend-local', timeoutMs: 900_000 }));
      const db = documentClient();
      const profiles = new ProfileStore(db, requireEnv(ENV.profilesTable));
      const store = new RecommendationStore(db, requireEnv(ENV.modelsTable));
      const { count, recentDays, consumableCategories } = config.recommendations;
      const perUser: Record<string, { sku: string; source: string }[] | null> = {};
      for (const userId of users) {
        const profile = await profiles.get(userId);
        const input = profile && (await store.forUser(profile));
        perUser[userId] = input
          ? recommend(input.model, input.history, { now, count, personalised: input.personalised, categories: input.categories, recentDays, consumableCategories }).map(({ sku, source }) => ({ sku, source }))
          : null;
      }
      if (json) {
        io.stdout.write(`${JSON.stringify({ trained, recommendations: perUser }, null, 2)}\n`);
        return 0;
      }
      const lines = [
        `Recommender trained as of ${trained.fittedAt}: version ${trained.version}`,
        `  ${trained.items} products, ${trained.users} buyers, ${trained.interactions} interactions; ${trained.records} records stored`,
        ...Object.entries(perUser).map(([userId, list]) =>
          list ? `  ${userId}: ${list.map((r) => `${r.sku} (${r.source})`).join(', ') || '—'}` : `  ${userId}: no such user`,
        ),
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    });
  } catch (err) {
    if (err instanceof CommandError) {
      io.stderr.write(`recommend: ${err.message}${err.exitCode === 2 ? ` (${USAGE})` : ''}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

function parseArgs(argv: string[]): { dataDir: string; asOf?: string; users: string[]; json: boolean } {
  let dataDir = DEFAULT_DATA_DIR;
  let asOf: string | undefined;
  let json = false;
  const users: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new CommandError(`${flag} needs a value`, 2);
      return v;
    };
    if (flag === '--help' || flag === '-h') return { dataDir, asOf: 'help', users, json };
    else if (flag === '--data-dir') dataDir = value();
    else if (flag === '--as-of') {
      asOf = value();
      if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf))) throw new CommandError(`--as-of must be a date YYYY-MM-DD, got ${JSON.stringify(asOf)}`, 2);
    } else if (flag === '--user') users.push(value());
    else if (flag === '--json') json = true;
    else throw new CommandError(`unknown option ${flag}`, 2);
  }
  return { dataDir, asOf, users, json };
}
