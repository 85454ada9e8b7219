/** Rewake's item-to-item recommender: the pure core (no AWS). */
export * from './types';
export { RecommenderTrainer, trainRecommender, trainItemKnn, decay, versionOf, DEFAULT_PARAMS, PLAIN_PARAMS, BASELINE_NEIGHBOURS, type TrainOptions, type TrainerOptions } from './train';
export { recommend, recommendItemKnn, recommendPopular, DEFAULT_COUNT, DEFAULT_RECENT_DAYS, type RecommendOptions } from './recommend';
export { addFact, trainFromFacts, historyFromFacts, historyFromProfile } from './facts';
export { userMetrics, meanMetrics, splitByTime, evaluateSplit, type Metrics, type EvalResult, type EvalRow, type Split, type TestUser } from './evaluate';
export { parseOnlineRetail, isProductCode, emptyCounts, RetailParseError, type ParseCounts } from './online-retail';
export { modelRecords, assembleModel, decodePointer, LATEST_ID, MAX_RECORD_BYTES, type Pointer, type StoredRecord } from './serialise';
