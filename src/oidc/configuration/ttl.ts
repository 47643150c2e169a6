// Lifetimes, in seconds. Short for anything bearer-like, longer for the SSO session and grants.
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const ttlConfiguration = {
  ttl: {
    AccessToken: HOUR,
    AuthorizationCode: MINUTE,
    IdToken: HOUR,
    Interaction: HOUR,
    Session: 14 * DAY,
    Grant: 14 * DAY,
    RefreshToken: 14 * DAY,
  },
};
