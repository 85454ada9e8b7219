export async function benchScan(_: {json: boolean}) {}
