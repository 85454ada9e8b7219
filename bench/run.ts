/**
 * `npm run bench -- <ingest|model|scan|send|all> [--json]`: the figures behind DESIGN "Targets".
 * Each benchmark prints a table for people, or JSON for scripts with --json; `all --json` prints
 * one object, { ingest, model, scan, send }. How long each took goes to stderr.
 */
const BENCHES = {
  ingest: async (json: boolean) => (await import('./ingest')).benchIngest({ json }),
  model: async (json: boolean) => (await import('./model')).benchModel({ json }),
  scan: async (json: boolean) => (await import('./scan')).benchScan({ json }),
  send: async (json: boolean) => (await import('./send')).benchSend({ json }),
} as const;

type BenchName = keyof typeof BENCHES;

const USAGE = `usage: npm run bench -- <${Object.keys(BENCHES).join('|')}|all> [--json]

  ingest  ingest handler vs raw BatchWriteItem on the embedded DynamoDB; profile refresh; CPU; WCU/RCU
  model   BTYD fits on the CDNOW sample and on 1,000,000 simulated customers
  scan    the scan phases over 100,000 stored profiles; the scoring core over 1,000,000, memory flat
  send    the real sender over 2,000 queued candidates per provider setup, providers faked in-process
  all     all four, one after the other
`;

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  const [name, ...extra] = rest;
  const names: BenchName[] | undefined = name === 'all' ? ['ingest', 'model', 'scan', 'send'] : name && name in BENCHES ? [name as BenchName] : undefined;
  if (!names || extra.length > 0) {
    if (name && !names) process.stderr.write(`unknown benchmark: ${name}\n`);
    else if (extra.length > 0) process.stderr.write(`unexpected arguments: ${extra.join(' ')}\n`);
    process.stderr.write(USAGE);
    return 2;
  }
  const results: Record<string, unknown> = {};
  for (const bench of names) {
    const t0 = performance.now();
    if (!json && names.length > 1) process.stdout.write(`\n== ${bench} ==\n`);
    if (json && names.length > 1) results[bench] = JSON.parse(await captureStdout(() => BENCHES[bench](true)));
    else await BENCHES[bench](json);
    process.stderr.write(`(${bench} took ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  if (json && names.length > 1) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return 0;
}

/** What `run` writes to stdout, kept instead of printed (each benchmark prints its own JSON). */
async function captureStdout(run: () => Promise<void>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let text = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = write;
  }
  return text;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
