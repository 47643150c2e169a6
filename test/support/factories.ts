// What a test needs in place before the flow it is about: an app registered with linkid (through
// the same admin code `linkid-admin client create` runs) and an account that already exists, so
// suites say "an app" or "a member" in one line instead of copying the set-up between files.
import type { CreateClientInput } from '../../src/admin/clients.js';
import { newSubjectId } from '../../src/login/steps/finish-sign-in.js';
import type { RunningLinkid } from './linkid.js';
import { RelyingParty } from './relying-party.js';

/** The app most suites sign in to: first-party, so no consent page stands between link and code. */
export const NOTES: Partial<CreateClientInput> = { name: 'Notes', firstParty: true };

/** Registers `client` (NOTES unless given; linkid's test defaults fill the rest) and discovers it as an RP. */
export async function registerApp(linkid: RunningLinkid, client: Partial<CreateClientInput> = NOTES): Promise<RelyingParty> {
  return RelyingParty.discover(linkid.issuer, await linkid.createClient(client));
}

/** An account that exists before the test, as if `email` had signed in once already. */
export async function createUser(linkid: RunningLinkid, email: string) {
  const { user } = await linkid.store.users.findOrCreate(email, newSubjectId(), linkid.clock.now());
  return user;
}

/** A set of recovery codes for `userId`, made as the account page makes one (so its notice is mailed to the account). */
export async function makeRecoveryCodes(linkid: RunningLinkid, userId: string): Promise<string[]> {
  const made = await linkid.services.recoveryCodes.generate(userId, { locale: 'en', ip: '127.0.0.1', userAgent: 'linkid-test-browser' });
  if (!made.allow) throw new Error(`no recovery codes made: ${made.reason}`);
  return [...made.codes];
}
