// A magic link opened inside an app's own browser (the web view a mail, chat or social app opens
// links in) signs in that web view, not the person's browser, and the web view forgets it when it
// closes. This module tells, from the User-Agent alone, which app it was and how to get from it to
// the real browser, so the link page can say so in plain words and offer "copy link". It decides
// nothing: a wrong or forged User-Agent can only show or hide that explanation.
//
// What a User-Agent cannot tell, and this module does not pretend to:
// - SFSafariViewController (the in-app browser of Gmail, Slack, X and many others on iOS) sends
//   Safari's own User-Agent on purpose; it is indistinguishable from Safari.
// - Android Custom Tabs (Gmail, Slack and others on Android) are the person's own browser and send
//   its User-Agent; they share its cookies, so they are not the problem this module looks for.
// - iOS Mail never opens a web view for a link: it hands the link to the default browser.
// - Telegram's web view sends an unchanged User-Agent (only a script in the page can see it).
// - Messenger's browser carries Facebook's tokens and is reported as Facebook.
// What it can tell: apps that add their own token, and, without a name, an iOS WKWebView (its
// User-Agent lacks `Safari/`) or an Android WebView (its User-Agent carries `; wv)`).

/** How to get from the app to the real browser; the page turns each into a translated sentence. */
export const OPEN_IN_BROWSER_HINTS = ['menu-open-in-browser', 'share-open-in-safari', 'copy-link'] as const;
export type OpenInBrowserHint = (typeof OPEN_IN_BROWSER_HINTS)[number];

export const IN_APP_BROWSER_IDS = [
  'outlook',
  'slack',
  'teams',
  'instagram',
  'facebook',
  'linkedin',
  'tiktok',
  'snapchat',
  'x',
  'whatsapp',
  'wechat',
  'line',
  'kakaotalk',
  'google-app',
  'ios-webview',
  'android-webview',
] as const;
export type InAppBrowserId = (typeof IN_APP_BROWSER_IDS)[number];

export type InAppPlatform = 'ios' | 'android' | 'other';

export interface InAppBrowser {
  readonly id: InAppBrowserId;
  /** The app's brand name (never translated), or undefined for a web view no token names. */
  readonly name: string | undefined;
  readonly platform: InAppPlatform;
  readonly hint: OpenInBrowserHint;
}

interface Rule {
  readonly id: InAppBrowserId;
  readonly name: string | undefined;
  readonly matches: (userAgent: string) => boolean;
  /** Set when the app's way out is not known: then only copying the link is sure to work. */
  readonly hint?: OpenInBrowserHint;
}

const token = (pattern: RegExp) => (userAgent: string) => pattern.test(userAgent);

const IOS = /iPhone|iPad|iPod/i;
/** An iPad app's web view asking for desktop pages: Macintosh, yet `Mobile/`, which no Mac browser sends. */
const IPAD_AS_MAC = /\bMacintosh\b.*\bMobile\/\w+/;
const ANDROID = /\bAndroid\b/;
/** Real browsers a web view rule must not take for an app (Edge on HarmonyOS sends the WebView's `wv`). */
const BROWSER_TOKENS = /\b(?:EdgA|EdgiOS|CriOS|FxiOS|SamsungBrowser|OPR|OPT|YaBrowser|Firefox|DuckDuckGo)\//;

/** Ordered: the first rule that matches wins. Each comment names the token and why no real browser sends it. */
const RULES: readonly Rule[] = [
  // `Outlook-iOS/`, `Outlook-Android/`: Outlook mobile's product tokens (Microsoft documents them
  // for the app's own requests); an older in-app browser sent `Outlook-iOS-Android/1.0`. That the
  // current link viewer sends one is not confirmed: where it does not, a web view rule below or
  // nothing catches it. Its way out is not known: copy-link.
  { id: 'outlook', name: 'Outlook', matches: token(/\bOutlook-(?:iOS|Android)(?:-Android)?\//), hint: 'copy-link' },
  // `Slack_SSB/` or `Slack/2.6.0`: Slack's desktop (Electron) window. Its mobile in-app browsers
  // cannot be seen (see the top), and the desktop app opens links in the default browser, so this
  // rule seldom fires. Way out not known: copy-link.
  { id: 'slack', name: 'Slack', matches: token(/\bSlack(?:_SSB)?\/\d/), hint: 'copy-link' },
  // `TeamsMobile-iOS` / `TeamsMobile-Android`: Teams mobile's suffix. Way out not known: copy-link.
  { id: 'teams', name: 'Microsoft Teams', matches: token(/\bTeamsMobile-(?:iOS|Android)\b/), hint: 'copy-link' },
  // `Instagram 123.0…`: the app name, a space and its version; no browser names itself so.
  { id: 'instagram', name: 'Instagram', matches: token(/\bInstagram \d/) },
  // `[FBAN/FBIOS;…]` on iOS, `[FB_IAB/FB4A;FBAV/…]` on Android, `MetaIAB Facebook` on newer iOS
  // builds: Facebook's (and Messenger's) in-app browser markers.
  { id: 'facebook', name: 'Facebook', matches: token(/\bFBAN\/|\bFB_IAB\/|\bFBAV\/|\bMetaIAB Facebook\b/) },
  // `[LinkedInApp]`: LinkedIn's suffix, with its brackets.
  { id: 'linkedin', name: 'LinkedIn', matches: token(/\[LinkedInApp\]/) },
  // `musical_ly_…` (TikTok's old name) or `trill_…` (its build tag). `BytedanceWebview` alone is
  // left out: other ByteDance apps share it.
  { id: 'tiktok', name: 'TikTok', matches: token(/\bmusical_ly|\btrill_\d/) },
  // `Snapchat/12.…`: the app and its version (Snapchat's crawler says `Snapchat Creative Kit`, no slash).
  { id: 'snapchat', name: 'Snapchat', matches: token(/\bSnapchat\/\d/) },
  // `Twitter for iPhone` (also sent on iPad) and `TwitterAndroid`; `Twitterbot` is not matched.
  // Newer X builds on iOS use SFSafariViewController and cannot be seen.
  { id: 'x', name: 'X', matches: token(/\bTwitter for iP(?:hone|ad)\b|\bTwitterAndroid\b/) },
  // `[WAiOS/…]` and `[WA4A/…]`: WhatsApp's in-app browser (2025 on); its link-preview fetcher
  // (`WhatsApp/2.…`) is a crawler, not a person, and is not matched.
  { id: 'whatsapp', name: 'WhatsApp', matches: token(/\[(?:WAiOS|WA4A)\//) },
  // `MicroMessenger/`: WeChat's product token, on phones and in its Windows client.
  { id: 'wechat', name: 'WeChat', matches: token(/\bMicroMessenger\//) },
  // `Line/7.3.2`, `Line/15.0.0/IAB`: LINE's token, always followed by its version.
  { id: 'line', name: 'LINE', matches: token(/\bLine\/\d/) },
  // `KAKAOTALK` in capitals, with a space or a slash before its version.
  { id: 'kakaotalk', name: 'KakaoTalk', matches: token(/\bKAKAOTALK\b/) },
  // `GSA/…`: the Google app (Gmail on iOS may be set to open links in it).
  { id: 'google-app', name: 'Google', matches: token(/\bGSA\/\d/) },
  // An iPhone or iPad WKWebView of an app that adds no token: WebKit without `Safari/`, which Safari
  // and every iOS browser send. (An iPad app's web view asking for desktop pages looks like a Mac
  // app's and is not reported.) The app is unknown, so is its way out: copy-link.
  {
    id: 'ios-webview',
    name: undefined,
    matches: (ua) => IOS.test(ua) && ua.includes('AppleWebKit/') && !ua.includes('Safari/') && !BROWSER_TOKENS.test(ua),
    hint: 'copy-link',
  },
  // An Android WebView of an app that adds no token: `; wv)` is the system WebView's own marker.
  {
    id: 'android-webview',
    name: undefined,
    matches: (ua) => ANDROID.test(ua) && ua.includes('; wv)') && !BROWSER_TOKENS.test(ua),
    hint: 'copy-link',
  },
];

function platformOf(userAgent: string): InAppPlatform {
  if (IOS.test(userAgent) || IPAD_AS_MAC.test(userAgent)) return 'ios';
  if (ANDROID.test(userAgent)) return 'android';
  return 'other';
}

const HINT_BY_PLATFORM: Readonly<Record<InAppPlatform, OpenInBrowserHint>> = {
  ios: 'share-open-in-safari',
  android: 'menu-open-in-browser',
  other: 'copy-link',
};

/** The in-app browser a User-Agent names, or undefined for a real browser, a crawler or no User-Agent. */
export function detectInAppBrowser(userAgent: string): InAppBrowser | undefined {
  const rule = RULES.find((candidate) => candidate.matches(userAgent));
  if (!rule) return undefined;
  const platform = platformOf(userAgent);
  return { id: rule.id, name: rule.name, platform, hint: rule.hint ?? HINT_BY_PLATFORM[platform] };
}
