/**
 * The local demo's events: the bundled Online Retail slice (data/online-retail-slice.csv, real
 * purchases and cancellations) as Rewake events, plus what the data lacks — channels, consent,
 * birthdays — generated deterministically from the customer id and labelled `gen-` (data/README.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RewakeEvent } from '../../shared/events/schema';

export const DEMO_DATASET = 'data/online-retail-slice.csv';

interface Row {
  invoice: string;
  date: string;
  customer: string;
  sku: string;
  category: string;
  quantity: number;
  unitPrice: number;
}

export interface DemoDataset {
  events: RewakeEvent[];
  customers: number;
  /** The instant of the last event: the default "as of" for the scan. */
  lastEventAt: string;
}

export function loadDemoDataset(path = DEMO_DATASET): DemoDataset {
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line): Row => {
      const [invoice, date, customer, sku, category, quantity, unitPrice] = line.split(',') as string[];
      return { invoice: invoice!, date: date!, customer: customer!, sku: sku!, category: category!, quantity: Number(quantity), unitPrice: Number(unitPrice) };
    });

  const invoices = new Map<string, Row[]>();
  for (const row of rows) invoices.set(row.invoice, [...(invoices.get(row.invoice) ?? []), row]);

  const events: RewakeEvent[] = [];
  const firstSeen = new Map<string, string>();
  for (const [invoice, items] of invoices) {
    const { customer, date } = items[0]!;
    const userId = `c${customer}`;
    const timestamp = `${date}+00:00`;
    if (!firstSeen.has(userId) || firstSeen.get(userId)! > timestamp) firstSeen.set(userId, timestamp);
    const amount = round2(items.reduce((s, i) => s + Math.abs(i.quantity) * i.unitPrice, 0));
    if (invoice.startsWith('C')) {
      events.push({ eventId: `inv-${invoice}`, userId, type: 'refund', timestamp, properties: { orderId: invoice, amount, currency: 'GBP' } });
      continue;
    }
    // A few invoices carry only adjustments with non-positive quantities; they are not purchases.
    const goods = items.filter((i) => i.quantity > 0 && i.unitPrice >= 0);
    if (goods.length === 0) continue;
    events.push({
      eventId: `inv-${invoice}`,
      userId,
      type: 'purchase',
      timestamp,
      properties: {
        orderId: invoice,
        amount: round2(goods.reduce((s, i) => s + i.quantity * i.unitPrice, 0)),
        currency: 'GBP',
        items: mergeItems(goods).slice(0, 200),
      },
    });
  }

  for (const [userId, timestamp] of firstSeen) events.push(...generatedEvents(userId, timestamp));
  events.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.eventId < b.eventId ? -1 : 1));
  return { events, customers: firstSeen.size, lastEventAt: new Date(Date.parse(events[events.length - 1]!.timestamp)).toISOString() };
}

/** Same sku twice on one invoice: one line with the quantities added. */
function mergeItems(rows: Row[]) {
  const bySku = new Map<string, { sku: string; category: string; price: number; quantity: number }>();
  for (const r of rows) {
    const item = bySku.get(r.sku);
    if (item) item.quantity += r.quantity;
    else bySku.set(r.sku, { sku: r.sku, category: r.category, price: r.unitPrice, quantity: r.quantity });
  }
  return [...bySku.values()].map((i) => ({ ...i, quantity: Math.min(i.quantity, 100_000) }));
}

/**
 * Generated, not real: registration and a profile with addresses and consent, so the delivery
 * rules have something to decide on. Shares: ~75% SMS consent, ~50% push, ~5% global opt-out,
 * ~10% refuse personalised recommendations.
 */
function generatedEvents(userId: string, firstSeenAt: string): RewakeEvent[] {
  const r = (salt: string) => unit(`${userId}:${salt}`);
  const t0 = Date.parse(firstSeenAt);
  const before = (minutes: number) => new Date(t0 - minutes * 60_000).toISOString().replace('Z', '+00:00').replace('.000', '');
  const digits = String(Math.floor(r('phone') * 1e8)).padStart(8, '0');
  const month = 1 + Math.floor(r('month') * 12);
  const day = 1 + Math.floor(r('day') * 28);
  const hasPush = r('push') < 0.5;
  return [
    { eventId: `gen-register-${userId}`, userId, type: 'register', timestamp: before(2), properties: { source: 'generated' } },
    {
      eventId: `gen-profile-${userId}`,
      userId,
      type: 'profile',
      timestamp: before(1),
      properties: {
        birthday: `${1960 + Math.floor(r('year') * 45)}-${pad(month)}-${pad(day)}`,
        timezone: 'Asia/Shanghai',
        locale: r('locale') < 0.85 ? 'zh-CN' : 'en',
        preferredChannel: hasPush && r('pref') < 0.5 ? 'push' : 'sms',
        channels: {
          sms: `+86138${digits}`,
          email: `customer${userId.slice(1)}@example.com`,
          ...(hasPush ? { push: `fcm:${hex(`${userId}:token`).slice(0, 40)}` } : {}),
        },
        consent: {
          sms: r('consent-sms') < 0.75,
          push: hasPush && r('consent-push') < 0.8,
          email: r('consent-email') < 0.6,
          personalisedRecommendations: r('recs') >= 0.1,
        },
        optOut: r('optout') < 0.05,
        tags: ['generated'],
      },
    },
  ];
}

const pad = (n: number) => String(n).padStart(2, '0');
const round2 = (v: number) => Math.round(v * 100) / 100;
const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const unit = (s: string) => parseInt(hex(s).slice(0, 12), 16) / 2 ** 48;
