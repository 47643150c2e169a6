// Subject identifiers: random, stable, and unrelated to the email, so an address change or a
// leaked id reveals nothing.
import { randomBytes } from 'node:crypto';

export const newUserId = (): string => randomBytes(16).toString('base64url');
