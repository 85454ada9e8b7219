/**
 * The time handlers act at. On AWS, the wall clock. A local replay of historical data sets
 * REWAKE_NOW (an ISO instant) so quiet hours, caps and attribution windows are judged in the
 * data's time, not today's.
 */
export function now(env: NodeJS.ProcessEnv = process.env): Date {
  const fixed = env.REWAKE_NOW;
  if (!fixed) return new Date();
  const at = new Date(fixed);
  if (Number.isNaN(at.getTime())) throw new Error(`REWAKE_NOW is not an ISO instant: ${fixed}`);
  return at;
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayIn(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** True for an IANA time zone this runtime knows, e.g. Asia/Shanghai. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
