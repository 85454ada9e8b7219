/**
 * The small pages a person sees behind the unsubscribe link, in Chinese and English at once (the
 * link carries no locale, and a bilingual page is never wrong). No script, no external resources:
 * the strict Content-Security-Policy below allows inline styles and posting back to this URL only.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Channel } from '../../shared/config';

const CHANNEL_NAMES: Record<Channel, { zh: string; en: string }> = {
  email: { zh: '营销邮件', en: 'marketing emails' },
  sms: { zh: '营销短信', en: 'marketing text messages' },
  push: { zh: '营销推送', en: 'marketing push notifications' },
  webhook: { zh: '营销消息', en: 'marketing messages' },
};

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // The token in the URL is a capability: keep it out of caches, search indexes and Referer headers.
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
};

export function confirmPage(channel: Channel, token: string, brand: string): APIGatewayProxyResult {
  const name = CHANNEL_NAMES[channel];
  // The button posts the RFC 8058 body to this same URL: the click, not the page view, unsubscribes
  // (mail scanners and link previews fetch GET links on their own).
  const form = `<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">确认退订 · Unsubscribe</button>
</form>`;
  return page(
    200,
    '退订 · Unsubscribe',
    `<p lang="zh-CN">不想再收到${escapeHtml(brand)}的${name.zh}？点击下方按钮即可退订，立即生效。</p>
<p lang="en">No longer want ${name.en} from ${escapeHtml(brand)}? Press the button to unsubscribe; it takes effect at once.</p>
${form}`,
  );
}

export function donePage(channel: Channel, brand: string): APIGatewayProxyResult {
  const name = CHANNEL_NAMES[channel];
  return page(
    200,
    '已退订 · Unsubscribed',
    `<p lang="zh-CN">您已退订${escapeHtml(brand)}的${name.zh}，我们不会再向您发送此类消息。</p>
<p lang="en">You are unsubscribed from ${name.en} from ${escapeHtml(brand)}. We will not send you any more.</p>`,
  );
}

export function errorPage(statusCode: 400 | 405 | 500, zh: string, en: string): APIGatewayProxyResult {
  const title = statusCode === 500 ? '出错了 · Something went wrong' : '无法退订 · Cannot unsubscribe';
  return page(statusCode, title, `<p lang="zh-CN">${escapeHtml(zh)}</p>\n<p lang="en">${escapeHtml(en)}</p>`);
}

function page(statusCode: number, title: string, body: string): APIGatewayProxyResult {
  const html = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.6;color:#222}
button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:#333;color:#fff;cursor:pointer}</style>
</head><body><h1>${title}</h1>
${body}
</body></html>`;
  return { statusCode, headers: { ...HEADERS }, body: html };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
