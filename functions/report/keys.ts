/** Where the report job writes in the reports bucket, and where GET /v1/reports/latest reads. */
export const LATEST_JSON_KEY = 'reports/latest.json';
export const LATEST_HTML_KEY = 'reports/latest.html';
/** One report per day, the day in schedule.timezone. */
export const datedKey = (day: string) => `reports/${day}.json`;
