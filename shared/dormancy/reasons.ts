/** Likely causes of going quiet (seed §2.2); each steers the message. */
export const REASONS = ['still_browsing', 'service_issue', 'fading_engagement', 'no_novelty', 'unknown'] as const;
export type ReasonCode = (typeof REASONS)[number];
