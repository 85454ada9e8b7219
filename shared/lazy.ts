/**
 * A value built on first use and kept for the life of the process (a Lambda container). A build
 * that fails (a secret not readable yet, say) is not kept: the next call tries again.
 */
export function lazyAsync<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}
