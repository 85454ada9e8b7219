/**
 * UCI Online Retail as recommender interactions (pure: text in, interactions out). Reads both the
 * original columns (InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,
 * Country: the by-day files) and the bundled slice (invoice,date,customer,sku,category,quantity,
 * unit_price: data/online-retail-slice.csv).
 */
import type { Interaction } from './types';

export interface ParseCounts {
  rows: number;
  kept: number;
  cancellations: number;
  noCustomer: number;
  /** Quantity ≤ 0 or price ≤ 0: adjustments and samples, not purchases. */
  nonPositive: number;
  /** Postage, fees, manual adjustments, vouchers: see isProductCode. */
  nonProduct: number;
}

export class RetailParseError extends Error {
  constructor(message: string, readonly line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'RetailParseError';
  }
}

/**
 * Online Retail's goods have codes starting with five digits (85123A, 22423, 15056BL); everything
 * else is a service line: POST, DOT (postage), M/m (manual), C2 (carriage), D (discount), S
 * (samples), BANK CHARGES, AMAZONFEE, CRUK (charity), PADS, B (bad debt), gift_0001_* (vouchers),
 * DCGS* (a handful of rows of unlabelled lots).
 */
export function isProductCode(stockCode: string): boolean {
  return /^\d{5}/.test(stockCode);
}

type Layout = { kind: 'original' } | { kind: 'slice'; invoice: number; date: number; customer: number; sku: number; category: number; quantity: number; price: number };

function layoutOf(headerLine: string): Layout {
  const header = headerLine.replace(/^\uFEFF/, '').split(',').map((h) => h.trim());
  if (header.join(',') === 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country') return { kind: 'original' };
  const at = (name: string) => header.indexOf(name);
  const slice = { invoice: at('invoice'), date: at('date'), customer: at('customer'), sku: at('sku'), category: at('category'), quantity: at('quantity'), price: at('unit_price') };
  if (Object.values(slice).every((i) => i >= 0)) return { kind: 'slice', ...slice };
  throw new RetailParseError(
    `unrecognised header ${JSON.stringify(headerLine.slice(0, 120))}: want InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country or invoice,date,customer,sku,category,quantity,unit_price`,
    1,
  );
}

/** "2010-12-01 08:26:00" (the shop's clock, UK) → epoch ms, read as UTC like the demo replay does. */
function parseTime(text: string): number {
  return Date.parse(`${text.trim().replace(' ', 'T')}Z`);
}

/**
 * Appends the file's purchases to `out` and adds to `counts`. Dropped, as the literature on this
 * data does: cancellations (InvoiceNo starting with C), rows without a CustomerID, non-positive
 * quantity or price, and non-product codes.
 */
export function parseOnlineRetail(text: string, out: Interaction[] = [], counts: ParseCounts = emptyCounts()): { interactions: Interaction[]; counts: ParseCounts } {
  const lines = text.split(/\r?\n/);
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  if (first >= lines.length) return { interactions: out, counts };
  const layout = layoutOf(lines[first]!);
  for (let i = first + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    counts.rows++;
    let invoice: string, sku: string, quantityText: string, dateText: string, priceText: string, customer: string, category: string | undefined, name: string | undefined;
    if (layout.kind === 'original') {
      // The description may hold quoted commas; the two fields before it and five after are plain.
      const head = line.split(',', 2);
      const tail = line.split(',').slice(-5);
      if (head.length < 2 || tail.length < 5) throw new RetailParseError('expected 8 columns', i + 1);
      [invoice, sku] = head as [string, string];
      [quantityText, dateText, priceText, customer] = tail as [string, string, string, string];
      name = line.slice(head.join(',').length + 1, line.length - tail.join(',').length - 1).replace(/^"|"$/g, '').replace(/""/g, '"').trim() || undefined;
    } else {
      const f = line.split(',');
      invoice = f[layout.invoice] ?? '';
      sku = f[layout.sku] ?? '';
      quantityText = f[layout.quantity] ?? '';
      dateText = f[layout.date] ?? '';
      priceText = f[layout.price] ?? '';
      customer = f[layout.customer] ?? '';
      category = f[layout.category] || undefined;
    }
    if (invoice.startsWith('C')) {
      counts.cancellations++;
      continue;
    }
    if (customer.trim() === '') {
      counts.noCustomer++;
      continue;
    }
    const quantity = Number(quantityText);
    const price = Number(priceText);
    if (!Number.isFinite(quantity) || !Number.isFinite(price)) throw new RetailParseError(`bad quantity or price ${JSON.stringify(quantityText)}, ${JSON.stringify(priceText)}`, i + 1);
    if (quantity <= 0 || price <= 0) {
      counts.nonPositive++;
      continue;
    }
    if (!isProductCode(sku)) {
      counts.nonProduct++;
      continue;
    }
    const t = parseTime(dateText);
    if (Number.isNaN(t)) throw new RetailParseError(`bad date ${JSON.stringify(dateText)}`, i + 1);
    // "17850.0" in the original, "17850" in the slice: one customer.
    const userId = String(Number(customer));
    const interaction: Interaction = { userId, sku, t, kind: 'purchase', quantity };
    if (category) interaction.category = category;
    if (name) interaction.name = name;
    out.push(interaction);
    counts.kept++;
  }
  return { interactions: out, counts };
}

export function emptyCounts(): ParseCounts {
  return { rows: 0, kept: 0, cancellations: 0, noCustomer: 0, nonPositive: 0, nonProduct: 0 };
}
