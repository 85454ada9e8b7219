/**
 * Chooses the recommender's defaults without looking at the evaluation period: the Online Retail
 * data is cut at 2011-09-01 (eval-recs' default split) and every variant is scored on validation
 * splits at 2011-06-01, 2011-07-01 and 2011-08-01 (HR@10, test users as in eval-recs). The
 * baselines are trained once per split, as eval-recs trains them.
 *
 *   npx tsx bench/recs-validate.ts DIR [variants.json]
 *
 * variants.json: [{ "name": "...", "params": { ...Partial<ModelParams> } }, ...]; without it the
 * current defaults alone. Training parameters retrain; serving-only ones reuse the trained model.
 */
import { readFileSync } from 'node:fs';
import { loadInteractions } from '../bin/commands/eval-recs';
import { meanMetrics, splitByTime, userMetrics } from '../shared/recommend/evaluate';
import { recommend, recommendItemKnn, recommendPopular } from '../shared/recommend/recommend';
import { trainItemKnn, trainRecommender } from '../shared/recommend/train';
import type { ModelParams, RecModel } from '../shared/recommend/types';

const CUT = Date.UTC(2011, 8, 1);
const SPLITS = [Date.UTC(2011, 5, 1), Date.UTC(2011, 6, 1), Date.UTC(2011, 7, 1)];
const K = 10;
/** Read at serving time only: changing them needs no retraining. */
const SERVING: (keyof ModelParams)[] = ['similarityPower', 'historyHalfLifeDays', 'repeatWeight', 'popularityPrior'];

interface Variant {
  name: string;
  params: Partial<ModelParams>;
}

async function main(): Promise<void> {
  const [dir, variantsFile] = process.argv.slice(2);
  if (!dir) throw new Error('usage: recs-validate DIR [variants.json]');
  const variants: Variant[] = variantsFile ? JSON.parse(readFileSync(variantsFile, 'utf8')) : [{ name: 'defaults', params: {} }];
  const all = (await loadInteractions(dir)).interactions.filter((x) => x.t < CUT);
  const results = new Map<string, { all: number[]; new: number[] }>();
  const baselines = { popularity: { all: [] as number[], new: [] as number[] }, 'item-kNN': { all: [] as number[], new: [] as number[] } };
  for (const splitAt of SPLITS) {
    const split = splitByTime(all, splitAt);
    const knn = trainItemKnn(split.train);
    for (const items of ['all', 'new'] as const) {
      const pop: ReturnType<typeof userMetrics>[] = [];
      const kn: ReturnType<typeof userMetrics>[] = [];
      for (const u of split.users) {
        const truth = items === 'all' ? u.all : u.fresh;
        if (truth.size === 0) continue;
        pop.push(userMetrics(recommendPopular(knn, items === 'new' ? u.bought : [], K).map((r) => r.sku), truth, K));
        kn.push(userMetrics(recommendItemKnn(knn, u.bought, { count: K, mode: items }).map((r) => r.sku), truth, K));
      }
      baselines.popularity[items].push(meanMetrics(pop).hr);
      baselines['item-kNN'][items].push(meanMetrics(kn).hr);
    }
    const trained = new Map<string, RecModel>();
    for (const v of variants) {
      const trainParams = Object.fromEntries(Object.entries(v.params).filter(([key]) => !SERVING.includes(key as keyof ModelParams)));
      const key = JSON.stringify(trainParams);
      let model = trained.get(key);
      if (!model) trained.set(key, (model = trainRecommender(split.train, { params: trainParams, fittedAt: new Date(splitAt) })));
      const served: RecModel = { ...model, params: { ...model.params, ...v.params } };
      let r = results.get(v.name);
      if (!r) results.set(v.name, (r = { all: [], new: [] }));
      for (const items of ['all', 'new'] as const) {
        const rows: ReturnType<typeof userMetrics>[] = [];
        for (const u of split.users) {
          const truth = items === 'all' ? u.all : u.fresh;
          if (truth.size === 0) continue;
          rows.push(userMetrics(recommend(served, u.history, { now: splitAt, count: K, mode: items, excludeRecentPurchases: false }).map((x) => x.sku), truth, K));
        }
        r[items].push(meanMetrics(rows).hr);
      }
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const f = (xs: number[]) => `${mean(xs).toFixed(4)} (${xs.map((x) => x.toFixed(3)).join(' ')})`;
  console.log(`HR@${K} on validation splits ${SPLITS.map((s) => new Date(s).toISOString().slice(0, 10)).join(', ')} (data cut at 2011-09-01): mean (per split)`);
  console.log(`${'variant'.padEnd(40)}  ${'all items'.padEnd(28)}  new items`);
  for (const [name, r] of Object.entries(baselines)) console.log(`${name.padEnd(40)}  ${f(r.all).padEnd(28)}  ${f(r.new)}`);
  for (const [name, r] of results) console.log(`${name.padEnd(40)}  ${f(r.all).padEnd(28)}  ${f(r.new)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
