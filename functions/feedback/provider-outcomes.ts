/**
 * For the sender: after a batch is settled, the provider answers that bind later campaigns
 * (OPT_OUT → consent withdrawn, PERMANENT_FAILURE → address removed; shared/feedback/
 * provider-outcomes.ts) are written as profile events and folded, so the next campaign step picks
 * another consented channel instead of failing the same way.
 */
import type { DecisionRecord } from '../../shared/delivery/decision-log';
import { applyFeedback, type FeedbackStores } from '../../shared/feedback/apply';
import { providerOutcomeActions } from '../../shared/feedback/provider-outcomes';
import { logger, metrics, MetricUnit } from '../../shared/observability';

/**
 * Never throws: the messages are already settled in the ledger, and failing the batch would only
 * send its records round the queue again. A failure is logged; the provider gives the same answer
 * at the next send, which records it then.
 */
export async function recordProviderOutcomes(decisions: readonly DecisionRecord[], stores: FeedbackStores | undefined): Promise<void> {
  if (!stores) return;
  const actions = providerOutcomeActions(decisions);
  if (actions.length === 0) return;
  try {
    for (const { action, outcome } of await applyFeedback(actions, stores)) {
      metrics.addMetric(`Feedback_${action.source}_${outcome}`, MetricUnit.Count, 1);
    }
  } catch (error) {
    logger.warn('recording provider feedback failed; the next send to these users will meet the same answer', {
      users: actions.length,
      error: (error instanceof Error && error.name) || 'Error',
    });
  }
}
