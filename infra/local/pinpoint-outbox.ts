/**
 * A fake Amazon Pinpoint for local runs: it implements SendMessages as @aws-sdk/client-pinpoint sends
 * it (REST-JSON: POST /v1/apps/{ApplicationId}/messages, body = the MessageRequest, response body =
 * the MessageResponse), so the real Pinpoint adapter runs unchanged with
 * AWS_ENDPOINT_URL_PINPOINT pointed here. Nothing is delivered: every accepted request becomes one
 * line of <outDir>/outbox.jsonl (the request exactly as received plus who/what/why per message)
 * and a readable entry in <outDir>/outbox-preview.md.
 *
 * Tests inject failures: per address (a DeliveryStatus other than SUCCESSFUL, as Pinpoint reports
 * throttling and bounces) or for the whole request (HTTP 429/500, which the SDK throws).
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { closeServer, listen, LOCAL_HOST, readBody } from './http';

export type AddressFault = 'THROTTLED' | 'TEMPORARY_FAILURE' | 'PERMANENT_FAILURE' | 'OPT_OUT' | 'DUPLICATE';
export type DeliveryStatus = AddressFault | 'SUCCESSFUL';

/** Who, what and why for one address, taken from its Context map (the sender puts them there). */
export interface OutboxMessage {
  userId: string | null;
  campaign: string | null;
  /** Numeric when the Context value is an integer, as campaign steps are. */
  step: number | string | null;
  /** Rewake's channel name (push, sms, email, ...), from Context.channel or else the ChannelType. */
  channel: string;
  address: string;
  /** What this fake answered for the address: lets readers skip messages that were not delivered. */
  deliveryStatus: DeliveryStatus;
  messageId: string | null;
}

/** One line of outbox.jsonl. */
export interface OutboxLine {
  provider: 'pinpoint';
  applicationId: string;
  requestId: string;
  receivedAt: string;
  /** The MessageRequest exactly as the SDK serialized it. */
  request: PinpointMessageRequest;
  messages: OutboxMessage[];
}

export interface StartPinpointOutboxOptions {
  /** Where outbox.jsonl and outbox-preview.md go (created if missing). */
  outDir: string;
  /** Keep earlier lines instead of starting both files fresh. @default false */
  append?: boolean;
  /** @default 0 (ephemeral) */
  port?: number;
  /** Per-address result; undefined means SUCCESSFUL. */
  faults?: (address: string, message: Readonly<Omit<OutboxMessage, 'deliveryStatus' | 'messageId'>>) => AddressFault | undefined;
  /**
   * Whole-request failure for the n-th request (1-based): 429 (TooManyRequestsException) or
   * 500 (InternalServerErrorException). A failed request is counted but not written to the outbox,
   * since Pinpoint did not accept it.
   */
  requestFault?: (requestNumber: number) => 429 | 500 | undefined;
}

export interface PinpointOutbox {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_PINPOINT. */
  endpoint: string;
  /** Paths of the two files, for printing and tests. */
  outboxFile: string;
  previewFile: string;
  /** SendMessages requests received so far, failed ones included. */
  requests(): number;
  stop(): Promise<void>;
}

/** The subset of Pinpoint's MessageRequest this fake reads; everything else is recorded untouched. */
export interface PinpointMessageRequest {
  Addresses?: Record<string, PinpointAddressConfiguration>;
  Context?: Record<string, string>;
  Endpoints?: Record<string, unknown>;
  MessageConfiguration?: Record<string, unknown>;
  [key: string]: unknown;
}

interface PinpointAddressConfiguration {
  ChannelType?: string;
  Context?: Record<string, string>;
  BodyOverride?: string;
  TitleOverride?: string;
  Substitutions?: Record<string, string[]>;
  [key: string]: unknown;
}

/** Pinpoint's per-call ceiling; the sender must batch within it. */
const MAX_ADDRESSES_PER_CALL = 100;
const PATH = /^\/v1\/apps\/([^/]+)\/messages$/;

const FAULT_RESULTS: Record<AddressFault, { StatusCode: number; StatusMessage: string }> = {
  THROTTLED: { StatusCode: 429, StatusMessage: 'Throttled: sending rate exceeded (local outbox fault)' },
  TEMPORARY_FAILURE: { StatusCode: 500, StatusMessage: 'Temporary failure (local outbox fault)' },
  PERMANENT_FAILURE: { StatusCode: 400, StatusMessage: 'Permanent failure: address cannot receive messages (local outbox fault)' },
  OPT_OUT: { StatusCode: 400, StatusMessage: 'Address has opted out (local outbox fault)' },
  DUPLICATE: { StatusCode: 400, StatusMessage: 'Duplicate message (local outbox fault)' },
};

export async function startPinpointOutbox(opts: StartPinpointOutboxOptions): Promise<PinpointOutbox> {
  const outboxFile = join(opts.outDir, 'outbox.jsonl');
  const previewFile = join(opts.outDir, 'outbox-preview.md');
  await mkdir(opts.outDir, { recursive: true });
  if (!opts.append) {
    await writeFile(outboxFile, '');
    await writeFile(previewFile, '# Rewake local outbox\n\nMessages handed to the fake Pinpoint. Nothing was delivered.\n');
  }

  let requestCount = 0;
  // One write at a time, so concurrent requests never interleave within a line.
  let writes: Promise<unknown> = Promise.resolve();
  const record = (line: OutboxLine): Promise<void> => {
    const next = writes.then(async () => {
      await appendFile(outboxFile, `${JSON.stringify(line)}\n`);
      await appendFile(previewFile, previewEntry(line));
    });
    writes = next.catch(() => undefined);
    return next;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error('local Pinpoint outbox error', err);
      if (!res.headersSent) errorResponse(res, 500, 'InternalServerErrorException', 'Local outbox failed', randomUUID());
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://local');
    const pathMatch = PATH.exec(url.pathname);
    if (req.method !== 'POST' || !pathMatch) {
      await readBody(req);
      return errorResponse(res, 404, 'NotFoundException', `The local outbox implements only SendMessages, not ${req.method} ${url.pathname}`, requestId);
    }
    const applicationId = decodeURIComponent(pathMatch[1]!);
    const { body } = await readBody(req);
    requestCount += 1;

    const fault = opts.requestFault?.(requestCount);
    if (fault === 429) return errorResponse(res, 429, 'TooManyRequestsException', 'Too many requests', requestId);
    if (fault === 500) return errorResponse(res, 500, 'InternalServerErrorException', 'Internal server error', requestId);

    let request: PinpointMessageRequest;
    try {
      request = JSON.parse(body.toString('utf8')) as PinpointMessageRequest;
    } catch {
      return errorResponse(res, 400, 'BadRequestException', 'Request body is not valid JSON', requestId);
    }
    const problem = validate(request);
    if (problem) return errorResponse(res, 400, 'BadRequestException', problem, requestId);

    const messages: OutboxMessage[] = [];
    const result: Record<string, { DeliveryStatus: DeliveryStatus; StatusCode: number; StatusMessage: string; MessageId?: string }> = {};
    for (const [address, config] of Object.entries(request.Addresses!)) {
      const meta = metadata(address, config, request.Context);
      const status: DeliveryStatus = opts.faults?.(address, meta) ?? 'SUCCESSFUL';
      const messageId = status === 'SUCCESSFUL' ? `local-${randomUUID()}` : null;
      result[address] =
        status === 'SUCCESSFUL'
          ? { DeliveryStatus: status, StatusCode: 200, StatusMessage: `MessageId: ${messageId}`, MessageId: messageId! }
          : { DeliveryStatus: status, ...FAULT_RESULTS[status] };
      messages.push({ ...meta, deliveryStatus: status, messageId });
    }

    await record({ provider: 'pinpoint', applicationId, requestId, receivedAt: new Date().toISOString(), request, messages });
    sendJson(res, 200, { ApplicationId: applicationId, RequestId: requestId, Result: result }, requestId);
  }

  const port = await listen(server, opts.port ?? 0);
  return {
    endpoint: `http://${LOCAL_HOST}:${port}`,
    outboxFile,
    previewFile,
    requests: () => requestCount,
    stop: async () => {
      await closeServer(server);
      await writes;
    },
  };
}

/** Rejects what Pinpoint would reject, or what this fake cannot honestly answer. */
function validate(request: PinpointMessageRequest): string | undefined {
  if (!request || typeof request !== 'object') return 'MessageRequest is required';
  if (request.Endpoints && Object.keys(request.Endpoints).length) {
    // Endpoint ids need Pinpoint's endpoint registry (its engagement side, end of support 2026-10-30).
    return 'The local outbox supports Addresses only, not Endpoints';
  }
  const addresses = Object.entries(request.Addresses ?? {});
  if (addresses.length === 0) return 'MessageRequest.Addresses must name at least one address';
  if (addresses.length > MAX_ADDRESSES_PER_CALL) {
    return `Too many addresses: ${addresses.length} (Pinpoint takes at most ${MAX_ADDRESSES_PER_CALL} per call)`;
  }
  const noChannel = addresses.find(([, c]) => !c || typeof c.ChannelType !== 'string');
  if (noChannel) return `Address ${noChannel[0]} has no ChannelType`;
  if (!request.MessageConfiguration) return 'MessageRequest.MessageConfiguration is required';
  return undefined;
}

const PUSH_TYPES = new Set(['ADM', 'APNS', 'APNS_SANDBOX', 'APNS_VOIP', 'APNS_VOIP_SANDBOX', 'BAIDU', 'GCM', 'PUSH']);

/** Pinpoint ChannelType → Rewake channel name. */
export function rewakeChannel(channelType: string): string {
  if (PUSH_TYPES.has(channelType)) return 'push';
  if (channelType === 'CUSTOM') return 'webhook';
  return channelType.toLowerCase(); // SMS → sms, EMAIL → email, VOICE → voice, IN_APP → in_app
}

function metadata(
  address: string,
  config: PinpointAddressConfiguration,
  requestContext: Record<string, string> | undefined,
): Omit<OutboxMessage, 'deliveryStatus' | 'messageId'> {
  // Pinpoint merges request-level Context into each address's; the address's own values win.
  const ctx = { ...requestContext, ...config.Context };
  const step = ctx.step;
  return {
    userId: ctx.userId ?? null,
    campaign: ctx.campaign ?? null,
    step: step === undefined ? null : /^\d+$/.test(step) ? Number(step) : step,
    channel: ctx.channel ?? rewakeChannel(config.ChannelType!),
    address,
  };
}

/** Masks an address for the preview: +86 138****1234, a***@example.com, abcd…wxyz for tokens. */
export function maskAddress(address: string): string {
  const email = /^([^@]+)@(.+)$/.exec(address);
  if (email) return `${email[1]![0]}***@${email[2]}`;
  const cn = /^\+86(\d{3})\d{4}(\d{4})$/.exec(address);
  if (cn) return `+86 ${cn[1]}****${cn[2]}`;
  const phone = /^\+(\d+)$/.exec(address);
  if (phone && phone[1]!.length > 7) return `+${phone[1]!.slice(0, 3)}****${phone[1]!.slice(-4)}`;
  if (address.length > 12) return `${address.slice(0, 4)}…${address.slice(-4)}`;
  return '****';
}

const PUSH_MESSAGE_KEYS: Record<string, string> = {
  GCM: 'GCMMessage',
  APNS: 'APNSMessage',
  APNS_SANDBOX: 'APNSMessage',
  APNS_VOIP: 'APNSMessage',
  APNS_VOIP_SANDBOX: 'APNSMessage',
  BAIDU: 'BaiduMessage',
  ADM: 'ADMMessage',
};

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The title and body Pinpoint would send to one address: channel message, overrides, substitutions. */
export function renderedContent(request: PinpointMessageRequest, config: PinpointAddressConfiguration): { title?: string; body?: string } {
  const mc = obj(request.MessageConfiguration) ?? {};
  const type = config.ChannelType!;
  let message: Obj | undefined;
  let title: string | undefined;
  let body: string | undefined;
  if (type === 'SMS') message = obj(mc.SMSMessage);
  else if (type === 'VOICE') message = obj(mc.VoiceMessage);
  else if (type === 'EMAIL') {
    message = obj(mc.EmailMessage);
    const simple = obj(message?.SimpleEmail);
    title = str(obj(simple?.Subject)?.Data);
    body = str(obj(simple?.TextPart)?.Data) ?? str(obj(simple?.HtmlPart)?.Data);
  } else {
    message = obj(mc[PUSH_MESSAGE_KEYS[type] ?? '']) ?? obj(mc.DefaultPushNotificationMessage);
  }
  message ??= obj(mc.DefaultMessage);
  title = config.TitleOverride ?? title ?? str(message?.Title);
  body = config.BodyOverride ?? body ?? str(message?.Body);

  const subs: Record<string, string[]> = {
    ...(obj(message?.Substitutions) as Record<string, string[]> | undefined),
    ...config.Substitutions,
  };
  const fill = (s?: string) => s?.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (m, k: string) => subs[k]?.[0] ?? m);
  return { title: fill(title), body: fill(body) };
}

function previewEntry(line: OutboxLine): string {
  const parts = [`\n## ${line.receivedAt} · app ${line.applicationId} · request ${line.requestId}\n`];
  for (const m of line.messages) {
    const config = line.request.Addresses![m.address]!;
    const { title, body } = renderedContent(line.request, config);
    const status = m.deliveryStatus === 'SUCCESSFUL' ? '' : ` · **${m.deliveryStatus}**`;
    parts.push(
      `\n- **${m.userId ?? '(no userId)'}** · ${m.channel} · ${maskAddress(m.address)} · ` +
        `${m.campaign ?? '(no campaign)'} step ${m.step ?? '?'}${status}\n`,
    );
    if (title) parts.push(`  > **${title}**\n`);
    for (const l of (body ?? '(no body)').split('\n')) parts.push(`  > ${l}\n`);
  }
  return parts.join('');
}

function sendJson(res: ServerResponse, status: number, payload: unknown, requestId: string, errorType?: string): void {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId };
  if (errorType) headers['x-amzn-ErrorType'] = errorType;
  res.writeHead(status, headers);
  res.end(JSON.stringify(payload));
}

/** Pinpoint's error shape: the type in x-amzn-ErrorType (the SDK reads it), Message and RequestID in the body. */
function errorResponse(res: ServerResponse, status: number, errorType: string, message: string, requestId: string): void {
  sendJson(res, status, { Message: message, RequestID: requestId }, requestId, errorType);
}
