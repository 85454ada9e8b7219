import { describe, it, expect } from 'vitest';
import { anniversaryOccasion, birthdayOccasion, yearlyOccurrence } from '../../../shared/campaigns/yearly';
import { profileWith } from '../../fixtures/builders';

const LEAD = { leadDays: 3 };
const SHANGHAI = 'Asia/Shanghai';
/** 10:00 on `day` in Shanghai (UTC+8). */
const at = (day: string, hhmm = '10:00') => new Date(`${day}T${hhmm}:00+08:00`);

describe('yearlyOccurrence', () => {
  it.each([
    ['2026-05-16', undefined],
    ['2026-05-17', '2026-05-20'],
    ['2026-05-20', '2026-05-20'],
    ['2026-05-21', undefined],
  ])('for 20 May with 3 lead days, on %s finds %s', (today, on) => {
    // Prepare / Act
    const occurrence = yearlyOccurrence(5, 20, today, 3);

    // Assess
    expect(occurrence?.on).toBe(on);
  });

  it('finds next year’s 1 January from 30 December', () => {
    // Prepare / Act
    const occurrence = yearlyOccurrence(1, 1, '2026-12-30', 3);

    // Assess
    expect(occurrence).toEqual({ year: 2027, on: '2027-01-01' });
  });

  it('celebrates 29 February on 28 February outside leap years, and on the 29th in them', () => {
    // Prepare / Act
    const plain = yearlyOccurrence(2, 29, '2027-02-28', 0);
    const leap = yearlyOccurrence(2, 29, '2028-02-28', 0);
    const leapDay = yearlyOccurrence(2, 29, '2028-02-29', 0);

    // Assess
    expect(plain).toEqual({ year: 2027, on: '2027-02-28' });
    expect(leap).toBeUndefined();
    expect(leapDay).toEqual({ year: 2028, on: '2028-02-29' });
  });

  it('only on the day itself with no lead days', () => {
    expect(yearlyOccurrence(5, 20, '2026-05-19', 0)).toBeUndefined();
    expect(yearlyOccurrence(5, 20, '2026-05-20', 0)?.on).toBe('2026-05-20');
  });
});

describe('birthdayOccasion', () => {
  it('names the campaign after the year celebrated, from a full birth date', () => {
    // Prepare
    const profile = profileWith({ birthday: '1990-05-20' });

    // Act
    const occasion = birthdayOccasion(profile, at('2026-05-18'), LEAD, SHANGHAI);

    // Assess
    expect(occasion).toEqual({ campaign: 'birthday-2026', on: '2026-05-20' });
  });

  it('reads a birthday given without the year (--MM-DD)', () => {
    // Prepare
    const profile = profileWith({ birthday: '--05-20' });

    // Act
    const occasion = birthdayOccasion(profile, at('2026-05-20'), LEAD, SHANGHAI);

    // Assess
    expect(occasion).toEqual({ campaign: 'birthday-2026', on: '2026-05-20' });
  });

  it('is not due outside the window, nor for a user without a birthday', () => {
    expect(birthdayOccasion(profileWith({ birthday: '--05-20' }), at('2026-05-21'), LEAD, SHANGHAI)).toBeUndefined();
    expect(birthdayOccasion(profileWith({ birthday: '--05-20' }), at('2026-05-16'), LEAD, SHANGHAI)).toBeUndefined();
    expect(birthdayOccasion(profileWith(), at('2026-05-20'), LEAD, SHANGHAI)).toBeUndefined();
  });

  it('judges the day in the user’s time zone: 02:00 on 21 May in Shanghai is still 20 May in Los Angeles', () => {
    // Prepare
    const shanghai = profileWith({ birthday: '--05-20' });
    const losAngeles = profileWith({ birthday: '--05-20', timezone: 'America/Los_Angeles' });
    const scan = at('2026-05-21', '02:00');

    // Act / Assess
    expect(birthdayOccasion(shanghai, scan, LEAD, SHANGHAI)).toBeUndefined();
    expect(birthdayOccasion(losAngeles, scan, LEAD, SHANGHAI)).toEqual({ campaign: 'birthday-2026', on: '2026-05-20' });
  });

  it('uses the default time zone for a user without one', () => {
    // Prepare
    const profile = profileWith({ birthday: '--05-20' });
    const scan = at('2026-05-21', '02:00'); // 20 May 11:00 in Los Angeles

    // Act
    const occasion = birthdayOccasion(profile, scan, LEAD, 'America/Los_Angeles');

    // Assess
    expect(occasion?.campaign).toBe('birthday-2026');
  });

  it('gives a 29 February birthday its own campaign each year, celebrated on 28 February in 2027', () => {
    // Prepare
    const profile = profileWith({ birthday: '2000-02-29' });

    // Act
    const occasion = birthdayOccasion(profile, at('2027-02-28'), { leadDays: 0 }, SHANGHAI);

    // Assess
    expect(occasion).toEqual({ campaign: 'birthday-2027', on: '2027-02-28' });
  });
});

describe('anniversaryOccasion', () => {
  it('celebrates the registration day from the first anniversary, with the years of membership', () => {
    // Prepare: registered 10 March 2023, 09:00 in Shanghai.
    const profile = profileWith({ registeredAt: '2023-03-10T01:00:00.000Z', firstPurchaseAt: '2024-01-01T01:00:00.000Z' });

    // Act
    const occasion = anniversaryOccasion(profile, at('2026-03-08'), LEAD, SHANGHAI);

    // Assess
    expect(occasion).toEqual({ campaign: 'anniversary-2026', on: '2026-03-10', years: 3 });
  });

  it('counts from the first purchase when the user never registered', () => {
    // Prepare
    const profile = profileWith({ registeredAt: undefined, firstPurchaseAt: '2025-06-03T04:00:00.000Z' });

    // Act
    const occasion = anniversaryOccasion(profile, at('2026-06-01'), LEAD, SHANGHAI);

    // Assess
    expect(occasion).toEqual({ campaign: 'anniversary-2026', on: '2026-06-03', years: 1 });
  });

  it('is not due on the joining day itself (year 0), only from the first anniversary', () => {
    // Prepare: joined at 09:00 today, so today is "this year's" joining day.
    const profile = profileWith({ registeredAt: '2026-03-10T01:00:00.000Z' });

    // Act
    const joiningDay = anniversaryOccasion(profile, at('2026-03-10'), LEAD, SHANGHAI);
    const firstAnniversary = anniversaryOccasion(profile, at('2027-03-07'), LEAD, SHANGHAI);

    // Assess
    expect(joiningDay).toBeUndefined();
    expect(firstAnniversary).toEqual({ campaign: 'anniversary-2027', on: '2027-03-10', years: 1 });
  });

  it('is not due for a user with neither registration nor purchase', () => {
    expect(anniversaryOccasion(profileWith({ registeredAt: undefined, firstPurchaseAt: undefined }), at('2026-03-10'), LEAD, SHANGHAI)).toBeUndefined();
  });

  it('takes the joining day in the user’s time zone: 23:30 UTC on 9 March is 10 March in Shanghai', () => {
    // Prepare
    const profile = profileWith({ registeredAt: '2024-03-09T23:30:00.000Z' });

    // Act
    const onThe10th = anniversaryOccasion(profile, at('2026-03-10'), { leadDays: 0 }, SHANGHAI);
    const onThe9th = anniversaryOccasion(profile, at('2026-03-09'), { leadDays: 0 }, SHANGHAI);

    // Assess
    expect(onThe10th).toEqual({ campaign: 'anniversary-2026', on: '2026-03-10', years: 2 });
    expect(onThe9th).toBeUndefined();
  });
});
