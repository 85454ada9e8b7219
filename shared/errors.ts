/** Base error: sets `name` and keeps `cause`, so logs show what failed and why. */
export class RewakeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration is missing or invalid. Raised at synth, start-up or cold start. */
export class ConfigError extends RewakeError {}

/** One problem in a client's request, reported back as-is in a 400. */
export interface FieldProblem {
  /** Index of the event in the batch, or null for a problem with the request as a whole. */
  index: number | null;
  field: string;
  reason: string;
}

/** The client's request is invalid; nothing was stored. Maps to an HTTP 4xx at the edge. */
export class RequestError extends RewakeError {
  constructor(
    readonly statusCode: 400 | 401 | 403 | 404 | 413 | 415,
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** A provider or store failed in a way worth retrying later (throttling, 5xx). */
export class RetryableError extends RewakeError {}
