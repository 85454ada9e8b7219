import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PinpointClient, SendMessagesCommand, type MessageRequest } from '@aws-sdk/client-pinpoint';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  maskAddress,
  startPinpointOutbox,
  type OutboxLine,
  type PinpointOutbox,
  type StartPinpointOutboxOptions,
} from '../../../infra/local/pinpoint-outbox';

const PHONE = '+8613812341234';
const EMAIL = 'alice@example.com';

const request: MessageRequest = {
  Addresses: {
    [PHONE]: { ChannelType: 'SMS', Context: { userId: 'u-1', campaign: 'winback', step: '0' } },
    [EMAIL]: {
      ChannelType: 'EMAIL',
      Context: { userId: 'u-2', campaign: 'winback', step: '1' },
      Substitutions: { name: ['Alice'] },
    },
  },
  MessageConfiguration: {
    SMSMessage: { Body: '好久不见！专属 8 折券 WB-8F3K 已到账。拒收请回复R', MessageType: 'PROMOTIONAL' },
    EmailMessage: {
      SimpleEmail: {
        Subject: { Data: 'We miss you, {{name}}' },
        TextPart: { Data: 'Here is 20% off your next order.' },
      },
    },
  },
  TraceId: 'trace-1',
};

function clientFor(outbox: PinpointOutbox, maxAttempts = 1): PinpointClient {
  return new PinpointClient({
    endpoint: outbox.endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
  });
}

async function outboxLines(outbox: PinpointOutbox): Promise<OutboxLine[]> {
  const text = await readFile(outbox.outboxFile, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OutboxLine);
}

describe('local Pinpoint outbox', () => {
  let outDir: string;
  const started: PinpointOutbox[] = [];
  const start = async (opts: Omit<StartPinpointOutboxOptions, 'outDir'> = {}) => {
    const outbox = await startPinpointOutbox({ outDir, ...opts });
    started.push(outbox);
    return outbox;
  };

  beforeEach(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'rewake-outbox-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((o) => o.stop()));
    await rm(outDir, { recursive: true, force: true });
  });

  it('answers SendMessages from the real SDK with a SUCCESSFUL result per address', async () => {
    const outbox = await start();
    const client = clientFor(outbox);

    const { MessageResponse } = await client.send(new SendMessagesCommand({ ApplicationId: 'app-123', MessageRequest: request }));

    expect(MessageResponse?.ApplicationId).toBe('app-123');
    expect(MessageResponse?.RequestId).toEqual(expect.any(String));
    for (const address of [PHONE, EMAIL]) {
      expect(MessageResponse?.Result?.[address]).toMatchObject({
        DeliveryStatus: 'SUCCESSFUL',
        StatusCode: 200,
        MessageId: expect.any(String),
      });
    }
    expect(outbox.requests()).toBe(1);
    client.destroy();
  });

  it('writes one outbox line holding the exact request plus each message\'s metadata', async () => {
    const outbox = await start();
    const client = clientFor(outbox);

    const { MessageResponse } = await client.send(new SendMessagesCommand({ ApplicationId: 'app-123', MessageRequest: request }));

    const lines = await outboxLines(outbox);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.provider).toBe('pinpoint');
    expect(line.applicationId).toBe('app-123');
    expect(line.requestId).toBe(MessageResponse?.RequestId);
    expect(new Date(line.receivedAt).toISOString()).toBe(line.receivedAt);
    expect(line.request).toEqual(request);
    expect(line.messages).toEqual([
      {
        userId: 'u-1',
        campaign: 'winback',
        step: 0,
        channel: 'sms',
        address: PHONE,
        deliveryStatus: 'SUCCESSFUL',
        messageId: MessageResponse?.Result?.[PHONE]?.MessageId,
      },
      {
        userId: 'u-2',
        campaign: 'winback',
        step: 1,
        channel: 'email',
        address: EMAIL,
        deliveryStatus: 'SUCCESSFUL',
        messageId: MessageResponse?.Result?.[EMAIL]?.MessageId,
      },
    ]);
    client.destroy();
  });

  it('writes a readable preview with masked addresses', async () => {
    const outbox = await start();
    const client = clientFor(outbox);

    await client.send(new SendMessagesCommand({ ApplicationId: 'app-123', MessageRequest: request }));

    const preview = await readFile(outbox.previewFile, 'utf8');
    expect(preview).toContain('+86 138****1234');
    expect(preview).toContain('a***@example.com');
    expect(preview).not.toContain(PHONE);
    expect(preview).not.toContain(EMAIL);
    expect(preview).toContain('拒收请回复R');
    expect(preview).toContain('We miss you, Alice');
    expect(preview).toContain('u-1');
    client.destroy();
  });

  it('reports a configured THROTTLED address as THROTTLED in the SDK\'s parsed response', async () => {
    const outbox = await start({ faults: (address) => (address === PHONE ? 'THROTTLED' : undefined) });
    const client = clientFor(outbox);

    const { MessageResponse } = await client.send(new SendMessagesCommand({ ApplicationId: 'app-123', MessageRequest: request }));

    expect(MessageResponse?.Result?.[PHONE]).toMatchObject({ DeliveryStatus: 'THROTTLED', StatusCode: 429 });
    expect(MessageResponse?.Result?.[PHONE]?.MessageId).toBeUndefined();
    expect(MessageResponse?.Result?.[EMAIL]?.DeliveryStatus).toBe('SUCCESSFUL');
    const [line] = await outboxLines(outbox);
    expect(line?.messages.map((m) => m.deliveryStatus)).toEqual(['THROTTLED', 'SUCCESSFUL']);
    client.destroy();
  });

  it.each(['TEMPORARY_FAILURE', 'PERMANENT_FAILURE', 'OPT_OUT', 'DUPLICATE'] as const)(
    'reports a configured %s address back through the SDK',
    async (fault) => {
      const outbox = await start({ faults: (address) => (address === EMAIL ? fault : undefined) });
      const client = clientFor(outbox);

      const { MessageResponse } = await client.send(new SendMessagesCommand({ ApplicationId: 'app-1', MessageRequest: request }));

      expect(MessageResponse?.Result?.[EMAIL]?.DeliveryStatus).toBe(fault);
      expect(MessageResponse?.Result?.[PHONE]?.DeliveryStatus).toBe('SUCCESSFUL');
      client.destroy();
    },
  );

  it('fails a whole request with 429 TooManyRequestsException and records nothing for it', async () => {
    const outbox = await start({ requestFault: (n) => (n === 1 ? 429 : undefined) });
    const client = clientFor(outbox);

    const error = await client
      .send(new SendMessagesCommand({ ApplicationId: 'app-123', MessageRequest: request }))
      .then(() => undefined, (err: unknown) => err as { name: string; $metadata: { httpStatusCode: number } });

    expect(error?.name).toBe('TooManyRequestsException');
    expect(error?.$metadata.httpStatusCode).toBe(429);
    expect(outbox.requests()).toBe(1);
    expect(await outboxLines(outbox)).toEqual([]);
    client.destroy();
  });

  it('lets the SDK\'s own retry get through after a 500, recording the request once', async () => {
    const outbox = await start({ requestFault: (n) => (n === 1 ? 500 : undefined) });
    const client = clientFor(outbox, 2);

    const { MessageResponse } = await client.send(new SendMessagesCommand({ ApplicationId: 'app-123', MessageRequest: request }));

    expect(MessageResponse?.Result?.[PHONE]?.DeliveryStatus).toBe('SUCCESSFUL');
    expect(outbox.requests()).toBe(2);
    expect(await outboxLines(outbox)).toHaveLength(1);
    client.destroy();
  });

  it('rejects more than 100 addresses in one call, as Pinpoint does', async () => {
    const outbox = await start();
    const client = clientFor(outbox);
    const Addresses = Object.fromEntries(
      Array.from({ length: 101 }, (_, i) => [`+86138000${String(i).padStart(5, '0')}`, { ChannelType: 'SMS' as const }]),
    );

    await expect(
      client.send(
        new SendMessagesCommand({
          ApplicationId: 'app-123',
          MessageRequest: { Addresses, MessageConfiguration: { SMSMessage: { Body: 'hi' } } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadRequestException' });
    client.destroy();
  });

  it('starts the files fresh unless asked to append', async () => {
    await writeFile(join(outDir, 'outbox.jsonl'), '{"old":true}\n');
    const fresh = await start();
    expect(await readFile(fresh.outboxFile, 'utf8')).toBe('');
    await fresh.stop();

    await writeFile(join(outDir, 'outbox.jsonl'), '{"old":true}\n');
    const appending = await start({ append: true });
    const client = clientFor(appending);
    await client.send(new SendMessagesCommand({ ApplicationId: 'app-123', MessageRequest: request }));

    const lines = (await readFile(appending.outboxFile, 'utf8')).split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({ old: true });
    client.destroy();
  });
});

describe('maskAddress', () => {
  it.each([
    ['+8613812341234', '+86 138****1234'],
    ['alice@example.com', 'a***@example.com'],
    ['+14155552671', '+141****2671'],
    ['fcm-token-0123456789abcdef', 'fcm-…cdef'],
    ['short', '****'],
  ])('masks %s as %s', (address, masked) => {
    expect(maskAddress(address)).toBe(masked);
  });
});
