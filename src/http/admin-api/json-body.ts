// Reads the admin API's request bodies: JSON only, small, parsed here rather than by a general
// body parser, so every way a body can be wrong has its own answer: not JSON at all 415, too large
// 413, not well-formed 400. A request with no body gives undefined.
import type { Context } from 'koa';
import { ApiError } from './api-error.js';

/** Far more than any client registration needs (a JWKS of a few public keys included). */
export const BODY_LIMIT_BYTES = 16 * 1024;

const tooLarge = () => new ApiError('body_too_large', `the body is larger than ${BODY_LIMIT_BYTES} bytes`, 'body');

export async function readJsonBody(ctx: Context): Promise<unknown> {
  const length = ctx.request.length;
  const chunked = ctx.get('transfer-encoding') !== '';
  if (!chunked && !length) return undefined;
  if (!ctx.is('application/json') || !['', 'utf-8', 'utf8'].includes((ctx.request.charset || '').toLowerCase())) {
    throw new ApiError('unsupported_media_type', 'send the body as Content-Type: application/json (UTF-8)', 'body');
  }
  if (length !== undefined && length > BODY_LIMIT_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req.iterator({ destroyOnReturn: false })) {
    received += (chunk as Buffer).length;
    if (received > BODY_LIMIT_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
  } catch {
    throw new ApiError('invalid_request', 'the body is not well-formed JSON', 'body');
  }
}
