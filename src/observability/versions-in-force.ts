// The sign-in policy and email template versions an audit event records, so a replay can tell
// which rules and wording a person met. A placeholder until /version (issue #12, item 5) gives
// the single source of truth; bump these by hand when the policy or the templates change.
export interface VersionsInForce {
  readonly policy: string;
  readonly templates: string;
}

const VERSIONS: VersionsInForce = Object.freeze({ policy: '1', templates: '1' });

export const versionsInForce = (): VersionsInForce => VERSIONS;
