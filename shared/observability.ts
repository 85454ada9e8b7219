/**
 * One logger and one metrics sink for every handler (Powertools). Log lines carry ids and counts,
 * never addresses, names or message bodies: phone numbers and emails are personal information
 * under PIPL and stay out of logs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rewake' });
// Metrics' own warnings go through the structured logger, not bare console lines.
export const metrics = new Metrics({ namespace: 'Rewake', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rewake', logger });
export { MetricUnit } from '@aws-lambda-powertools/metrics';
