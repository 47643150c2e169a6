// Input validated at the edge: a route reads its form body or query through a zod schema and
// hands typed values to the sign-in steps. A body that is not what the form sends at all (wrong
// types, missing structure) is invalid_request; a field that is present but wrong in content
// (an address that is not one, a code of the wrong shape) is for the step to refuse with its own
// reason, so schemas here check shape and size, not meaning.
import type { Context } from 'koa';
import { z } from 'zod';
import { ReasonError } from './errors.js';

/** A text field as browsers send it; anything else (an array from a repeated field, a number from JSON) reads as empty. */
export const textField = (maxLength: number) => z.string().max(maxLength).catch('');

export function readBody<T extends z.ZodType>(ctx: Context, schema: T): z.infer<T> {
  const parsed = schema.safeParse(ctx.request.body ?? {});
  if (!parsed.success) throw new ReasonError('invalid_request');
  return parsed.data;
}

export function readQuery<T extends z.ZodType>(ctx: Context, schema: T): z.infer<T> {
  const parsed = schema.safeParse(ctx.query);
  if (!parsed.success) throw new ReasonError('invalid_request');
  return parsed.data;
}
