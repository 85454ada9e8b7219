/**
 * The local stand-in for the scan's Step Functions state machine (infra/aws): the same phases,
 * each a separate invocation of the real scan handler, the segments of a phase in parallel.
 */
import type { Context } from 'aws-lambda';
import type { ScanPlan, ScanRequest, ScanSummary, SegmentSummary } from '../../functions/scan/handler';
import type { TierCuts } from '../../shared/dormancy/tiers';
import { fakeLambdaContext } from './lambda-context';

export type ScanInvoke = (request: ScanRequest, context: Context) => Promise<unknown>;

export async function runScanStateMachine(invoke: ScanInvoke, input: { source?: string; now?: string } = {}): Promise<ScanSummary> {
  const call = <T>(request: ScanRequest) => invoke(request, fakeLambdaContext({ functionName: 'rewake-scan-local', timeoutMs: 900_000 })) as Promise<T>;
  const plan = await call<ScanPlan>({ phase: 'plan', ...input });
  const sketches = await Promise.all(plan.segments.map((segment) => call<{ counts: Record<number, number> }>({ phase: 'sketch', plan, segment })));
  const cuts = await call<TierCuts>({ phase: 'cuts', plan, sketches });
  const summaries = await Promise.all(plan.segments.map((segment) => call<SegmentSummary>({ phase: 'enqueue', plan, cuts, segment })));
  return call<ScanSummary>({ phase: 'summarize', plan, cuts, summaries });
}
