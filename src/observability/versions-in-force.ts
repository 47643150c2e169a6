// The sign-in policy and email template versions an audit event records, so a replay can tell
// which rules and wording a person met. The same values /version reports (versions.ts): the
// policy's hand-bumped POLICY_VERSION and the digest of the email templates, read once.
import { POLICY_VERSION } from '../login/policy.js';
import { templatesDigest } from './versions.js';

export interface VersionsInForce {
  readonly policy: string;
  readonly templates: string;
}

let cached: VersionsInForce | undefined;

export const versionsInForce = (): VersionsInForce => (cached ??= Object.freeze({ policy: POLICY_VERSION, templates: templatesDigest() }));
