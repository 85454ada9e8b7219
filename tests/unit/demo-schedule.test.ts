import { describe, expect, it } from 'vitest';
import { demoFirstScanDay, weeklyScanDays } from '../../infra/local/cli';
import { parseConfig } from '../../shared/config';

describe('the local demo\'s schedule', () => {
  it('starts early enough that the last step\'s attribution window ends inside the data', () => {
    // Online Retail ends 2011-12-09; cadence 21 days + window 30 days + 1: 52 days earlier.
    expect(demoFirstScanDay('2011-12-09T12:50:00.000Z', parseConfig({}))).toBe('2011-10-18');
    expect(demoFirstScanDay('2011-12-09T12:50:00.000Z', parseConfig({ report: { attributionDays: 10 }, campaigns: { winback: { stepDays: [0, 7] } } }))).toBe('2011-11-21');
    // A day-10 step is sent by the day-14 scan: 14 + 10 + 1 days before the end.
    expect(demoFirstScanDay('2011-12-09T12:50:00.000Z', parseConfig({ report: { attributionDays: 10 }, campaigns: { winback: { stepDays: [0, 10] } } }))).toBe('2011-11-14');
  });

  it('scans weekly until the cadence\'s last step has had its scan', () => {
    expect(weeklyScanDays('2011-10-18', [0, 7, 21])).toEqual(['2011-10-18', '2011-10-25', '2011-11-01', '2011-11-08']);
    expect(weeklyScanDays('2011-10-18', [0])).toEqual(['2011-10-18']);
    // A step on day 10 goes out with the day-14 scan.
    expect(weeklyScanDays('2011-12-28', [0, 10])).toEqual(['2011-12-28', '2012-01-04', '2012-01-11']);
  });
});
