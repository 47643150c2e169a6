// Client ids are passed to the admin CLI as arguments; one starting with "-" would read as an option.
import { describe, expect, it } from 'vitest';
import { newClientId } from '../../src/admin/clients.js';

describe('newClientId', () => {
  it('is 22 URL-safe characters and never starts with - or _', () => {
    for (let i = 0; i < 5000; i += 1) expect(newClientId()).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{21}$/);
  });
});
