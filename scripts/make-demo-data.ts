/**
 * Builds data/online-retail-slice.csv, the dataset the local demo replays, from the UCI "Online
 * Retail" by-day files (Chen, Sain & Guo 2012; see data/README.md). Run once by a maintainer:
 *
 *   npx tsx scripts/make-demo-data.ts <path-to>/online_retail/by-day
 *
 * The slice keeps every row of one customer in ten (CustomerID divisible by 10), drops rows with
 * no customer, and replaces the free-text description with a coarse category derived from it
 * (the data has none). Cancellations (InvoiceNo starting with "C") stay: they become refunds.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CATEGORY_KEYWORDS: [string, string[]][] = [
  ['christmas', ['CHRISTMAS', 'XMAS', 'ADVENT', 'SNOWFLAKE', 'REINDEER', 'SANTA']],
  ['bags', ['BAG', 'TOTE', 'SHOPPER']],
  ['kitchen', ['MUG', 'CUP', 'TEA', 'CAKE', 'BOWL', 'PLATE', 'LUNCH', 'BAKING', 'JAR', 'BOTTLE', 'CUTLERY', 'TRAY', 'PANTRY', 'KITCHEN', 'NAPKIN', 'SPOON']],
  ['lighting', ['LIGHT', 'LANTERN', 'CANDLE', 'T-LIGHT', 'LAMP', 'HOLDER']],
  ['stationery', ['CARD', 'PAPER', 'WRAP', 'NOTEBOOK', 'PENCIL', 'PEN', 'STICKER', 'ENVELOPE', 'TAPE']],
  ['toys', ['TOY', 'GAME', 'DOLL', 'SPACEBOY', 'PLAYHOUSE', 'PUZZLE', 'FELTCRAFT', 'CHILDREN', 'CHILDS']],
  ['garden', ['GARDEN', 'PLANT', 'FLOWER', 'BIRD', 'POT']],
  ['home_decor', ['SIGN', 'FRAME', 'CLOCK', 'DOORMAT', 'CUSHION', 'DECORATION', 'HANGING', 'HEART', 'MIRROR', 'WALL', 'BUNTING', 'ORNAMENT']],
  ['storage', ['BOX', 'TIN', 'TINS', 'CASE', 'CASES', 'BASKET', 'STORAGE', 'DRAWER']],
  ['party', ['PARTY', 'BIRTHDAY', 'BALLOON', 'CONFETTI']],
  ['jewellery', ['NECKLACE', 'BRACELET', 'EARRINGS', 'RING', 'JEWEL']],
];

export function categoryOf(description: string): string {
  const words = new Set(description.toUpperCase().split(/[^A-Z-]+/));
  for (const [category, keywords] of CATEGORY_KEYWORDS) if (keywords.some((k) => words.has(k))) return category;
  return 'other';
}

function main(dir: string): void {
  const out = ['invoice,date,customer,sku,category,quantity,unit_price'];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.csv')).sort()) {
    const lines = readFileSync(join(dir, file), 'utf8').split(/\r?\n/).slice(1);
    for (const line of lines) {
      if (!line) continue;
      // Descriptions may hold quoted commas; the fields after them are plain.
      const head = line.split(',', 2);
      const tail = line.split(',').slice(-5);
      const [quantity, date, price, customer] = tail as [string, string, string, string, string];
      const description = line.slice(head.join(',').length + 1, line.length - tail.join(',').length - 1).replace(/^"|"$/g, '');
      if (!customer) continue;
      const id = Number(customer);
      if (!Number.isFinite(id) || id % 10 !== 0) continue;
      out.push([head[0], date.replace(' ', 'T'), String(id), head[1], categoryOf(description), quantity, price].join(','));
    }
  }
  writeFileSync('data/online-retail-slice.csv', out.join('\n') + '\n');
  console.log(`wrote ${out.length - 1} rows`);
}

main(process.argv[2] ?? '');
