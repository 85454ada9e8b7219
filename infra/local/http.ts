/**
 * Small node:http helpers shared by the local servers: listen on an ephemeral loopback port and
 * close without waiting for keep-alive sockets, so tests and Ctrl-C never hang.
 */
import type { Server } from 'node:http';

/** Loopback only: the local runtime is for this machine, never the network. */
export const LOCAL_HOST = '127.0.0.1';

/** Listens on `port` (0 = ephemeral) and resolves with the port actually bound. */
export function listen(server: Server, port = 0, host = LOCAL_HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('server is not listening on a TCP port'));
    });
  });
}

/**
 * Stops accepting connections and drops open ones. SDK clients keep sockets alive and SQS long polls
 * hold requests open; without closeAllConnections, close() would wait for them.
 */
/**
 * Stops accepting connections and lets requests already in flight finish (a late SDK retry must not
 * meet a closed database: dynalite closes its store on 'close' and would throw from a timer),
 * closing keep-alive connections as they go idle; after `graceMs` whatever is left is cut.
 */
export function closeServer(server: Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    const idle = setInterval(() => server.closeIdleConnections(), 20);
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close((err) => {
      clearInterval(idle);
      clearTimeout(force);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/** Reads a request body up to `limit` bytes; past it, keeps draining but returns `tooLarge`. */
export async function readBody(
  req: NodeJS.ReadableStream,
  limit = Number.POSITIVE_INFINITY,
): Promise<{ body: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) {
      // Keep reading (and dropping) the rest: answering before the client finished sending makes
      // many clients report a reset connection instead of the 413.
      tooLarge = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(buf);
  }
  return { body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge };
}
