// The link page explains an in-app browser only if detectInAppBrowser names it, and must never
// name one for a real browser: so every row is a User-Agent as an app or browser really sent it,
// with where it was published. Sources, shortened below:
// - ua-parser-js: faisalman/ua-parser-js, test/data/ua/ (browser/browser-all.json, extension/inapp.json, extension/email.json)
// - uap-core: ua-parser/uap-core, tests/test_ua.yaml
// - inapp-spy: shalanah/inapp-spy, src/tests/mobile.ts (strings captured on devices, 2024-2025)
// - current-uas: tmxkn1/UpdatedUserAgents, useragents.json (current browsers' strings, 2024)
// - gist-2021: gist Eimaen/13515cf326bdfae260bdc065322829f4 ("common useragents", December 2021)
// - an issue: the GitHub issue named on the row, where a person pasted what their device sent
import { describe, expect, it } from 'vitest';
import { detectInAppBrowser, IN_APP_BROWSER_IDS, OPEN_IN_BROWSER_HINTS, type InAppBrowserId, type InAppPlatform } from '../../src/http/in-app-browser.js';

type InAppRow = readonly [source: string, userAgent: string, id: InAppBrowserId, platform: InAppPlatform];

const IN_APP: readonly InAppRow[] = [
  // uap-core; an older Outlook in-app browser (the published string ends in a stray `")`, left out)
  [
    'uap-core',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 9_3_4 like Mac OS X) AppleWebKit/601.1 (KHTML, like Gecko) Outlook-iOS-Android/1.0 Mobile/13G35 Safari/601.1.46',
    'outlook',
    'ios',
  ],
  ['fnando/browser#439 (the Outlook app itself)', 'Outlook-iOS/719.3623017.prod.iphone (4.20.0)', 'outlook', 'ios'],
  ['Microsoft, "Outlook for iOS and Android" Exchange docs (UserAgent)', 'Outlook-Android/2.0', 'outlook', 'android'],
  [
    'ua-parser-js inapp.json',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.39.90 Chrome/127.0.6533.72 Electron/13.1.9 Safari/537.36',
    'slack',
    'other',
  ],
  ['uap-core', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/601.7.8 (KHTML, like Gecko) Slack_SSB/2.0.3', 'slack', 'other'],
  [
    'ua-parser-js inapp.json',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 TeamsMobile-iOS',
    'teams',
    'ios',
  ],
  [
    'ua-parser-js inapp.json',
    'Mozilla/5.0 (Linux; Android 8.1.0; SM-G610F Build/M1AJQ; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/87.0.4280.101 Mobile Safari/537.36 TeamsMobile-Android',
    'teams',
    'android',
  ],
  [
    'inapp-spy',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22F76 Instagram 393.1.0.36.70 (iPhone15,3; iOS 18_5; en_US; en; scale=3.00; 1290x2796; IABMV/1; 776538208) Safari/604.1)',
    'instagram',
    'ios',
  ],
  [
    'ua-parser-js',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 14_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 142.0.0.22.109 (iPhone12,5; iOS 14_1; en_US; en-US; scale=3.00; 1242x2688; 214888322) NW/1',
    'instagram',
    'ios',
  ],
  [
    'inapp-spy',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.58 Mobile Safari/537.36 Instagram 355.1.0.44.103 Android (34/14; 420dpi; 1080x2205; Google/google; Pixel 8; shiba; shiba; en_US; 658190016)',
    'instagram',
    'android',
  ],
  [
    'inapp-spy',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22G100 Safari/604.1 MetaIAB Facebook',
    'facebook',
    'ios',
  ],
  [
    'ua-parser-js',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_1 like Mac OS X) AppleWebKit/603.1.30 (KHTML, like Gecko) Mobile/14E304 [FBAN/FBIOS;FBAV/91.0.0.41.73;FBBV/57050710;FBDV/iPhone8,1;FBMD/iPhone;FBSN/iOS;FBSV/10.3.1;FBSS/2;FBCR/Telekom.de;FBID/phone;FBLC/de_DE;FBOP/5;FBRV/0])',
    'facebook',
    'ios',
  ],
  // `FBAN` without `FBAV`
  [
    'ua-parser-js',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 13_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone10,2;FBMD/iPhone;FBSN/iOS;FBSV/13.3.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBCR/]',
    'facebook',
    'ios',
  ],
  [
    'inapp-spy',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.83 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/488.0.0.62.79;IABMV/1;]',
    'facebook',
    'android',
  ],
  [
    'ua-parser-js',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 15_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]',
    'linkedin',
    'ios',
  ],
  // LinkedIn on an iPad, whose web view asks for desktop pages but keeps `Mobile/`
  [
    'serbanghita/Mobile-Detect#832',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]',
    'linkedin',
    'ios',
  ],
  [
    'ua-parser-js',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari/604.1 trill_43.0.0 BytedanceWebview/d8a21c6',
    'tiktok',
    'ios',
  ],
  [
    'ua-parser-js',
    'Mozilla/5.0 (Linux; Android 15; Pixel 7 Pro Build/AP4A.250205.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/133.0.6943.121 Mobile Safari/537.36 musical_ly_2023808030 BytedanceWebview/d8a21c6',
    'tiktok',
    'android',
  ],
  [
    'inapp-spy',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Snapchat/12.72.0.39 (like Safari/8617.2.4.10.8, panda)',
    'snapchat',
    'ios',
  ],
  ['ua-parser-js', 'Mozilla/5.0 (iPad; CPU OS 15_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/19H12 Twitter for iPhone/10.34', 'x', 'ios'],
  [
    'ua-parser-js',
    'Mozilla/5.0 (Linux; Android 13; CPH2531 Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.120 Mobile Safari/537.36 TwitterAndroid',
    'x',
    'android',
  ],
  [
    'inapp-spy',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 26_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0.1 Mobile/15E148 Safari/604.1 [WAiOS/2.25.31]',
    'whatsapp',
    'ios',
  ],
  [
    'inapp-spy',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.7390.124 Mobile Safari/537.36 [WA4A/2.25.32.75;]',
    'whatsapp',
    'android',
  ],
  [
    'ua-parser-js',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 8_4_1 like Mac OS X) AppleWebKit/600.1.4 (KHTML, like Gecko) Mobile/12H321 MicroMessenger/6.3.6 NetType/WIFI Language/zh_CN',
    'wechat',
    'ios',
  ],
  [
    'inapp-spy',
    'Mozilla/5.0 (Linux; Android 6.0.1; D6653 Build/23.5.A.0.575; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/58.0.3029.83 Mobile Safari/537.36 MicroMessenger/6.5.7.1041 NetType/WIFI Language/zh_TW',
    'wechat',
    'android',
  ],
  [
    'ua-parser-js (WeChat for Windows)',
    'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/39.0.2171.95 Safari/537.36 MicroMessenger/6.5.2.501 NetType/WIFI WindowsWechat QBCore/3.43.901.400 QQBrowser/9.0.2524.400',
    'wechat',
    'other',
  ],
  [
    'ua-parser-js',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 11_2_6 like Mac OS X) AppleWebKit/604.5.6 (KHTML, like Gecko) Mobile/15D100 Safari Line/8.4.1',
    'line',
    'ios',
  ],
  [
    'ua-parser-js',
    'Mozilla/5.0 (Linux; Android 15; Pixel 6 Pro Build/AP4A.241205.013; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/132.0.6834.163 Mobile Safari/537.36 Line/15.0.0/IAB',
    'line',
    'android',
  ],
  [
    'uap-core',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari/604.1 KAKAOTALK/11.3.1 (INAPP)',
    'kakaotalk',
    'ios',
  ],
  [
    'uap-core',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36 KAKAOTALK/10.2.3 (INAPP)',
    'kakaotalk',
    'android',
  ],
  [
    'inapp-spy',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/334.0.674067880 Mobile/15E148 Safari/604.1',
    'google-app',
    'ios',
  ],
  [
    'ua-parser-js',
    'Mozilla/5.0 (Linux; Android 11; A509DL Build/RP1A.200720.011; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/101.0.4951.61 Mobile Safari/537.36 GSA/13.18.7.23.arm64',
    'google-app',
    'android',
  ],
  // iOS web views of apps that add no token of their own: WebKit without `Safari/`
  ['fnando/browser#180', 'Mozilla/5.0 (iPhone; CPU iPhone OS 8_4 like Mac OS X) AppleWebKit/600.1.4 (KHTML, like Gecko) Mobile/12H141', 'ios-webview', 'ios'],
  [
    'DamonOehlman/detect-browser#121 (an in-app browser)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_1 like Mac OS X) AppleWebKit/603.1.30 (KHTML, like Gecko) Mobile/14E8301',
    'ios-webview',
    'ios',
  ],
  [
    'ua-parser-js email.json (BlueMail, a mail app)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 12_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/16A405 BlueMail iOS',
    'ios-webview',
    'ios',
  ],
  [
    'ua-parser-js inapp.json (Yahoo! Japan)',
    'Mozilla/5.0 (iPad; CPU OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 YJApp-IOS jp.co.yahoo.ipn.appli/4.131.0',
    'ios-webview',
    'ios',
  ],
  // Android WebViews of apps that add no token this module knows: `; wv)`
  [
    'ua-parser-js inapp.json (Yahoo! Japan)',
    'Mozilla/5.0 (Linux; Android 13; SH-M20 Build/TKQ1.220915.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/132.0.6834.163 Mobile Safari/537.36 YJApp-ANDROID jp.co.yahoo.android.yjtop/3.187.0',
    'android-webview',
    'android',
  ],
  [
    'ua-parser-js (KakaoStory)',
    'Mozilla/5.0 (Linux; Android 12; SM-G988N Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.79 Mobile Safari/537.36 KAKAOSTORY/6.8.3_21046',
    'android-webview',
    'android',
  ],
];

const REAL_BROWSERS: readonly (readonly [label: string, userAgent: string])[] = [
  ['Chrome on Windows (ua-parser-js)', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36'],
  ['Chrome on macOS (ua-parser-js)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36'],
  ['Chrome on Linux (ua-parser-js)', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/111.0.0.0 Safari/537.36'],
  ['Firefox on Windows (current-uas)', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:129.0) Gecko/20100101 Firefox/129.0'],
  ['Firefox on macOS (current-uas)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:129.0) Gecko/20100101 Firefox/129.0'],
  ['Firefox on Linux (gist-2021)', 'Mozilla/5.0 (X11; Linux x86_64; rv:94.0) Gecko/20100101 Firefox/94.0'],
  ['Firefox on Android (current-uas)', 'Mozilla/5.0 (Android 14; Mobile; rv:129.0) Gecko/129.0 Firefox/129.0'],
  // also what Safari on an iPad sends, asking for desktop pages
  ['Safari on macOS (gist-2021)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.1 Safari/605.1.15'],
  [
    'Edge on Windows (current-uas)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36 Edg/127.0.2651.98',
  ],
  [
    'Edge on macOS (current-uas)',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36 Edg/127.0.2651.98',
  ],
  [
    'Edge on Android (current-uas)',
    'Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.6533.103 Mobile Safari/537.36 EdgA/127.0.2651.90',
  ],
  // a real browser that sends the WebView's `wv`
  [
    'Edge on HarmonyOS (ua-parser-js)',
    'Mozilla/5.0 (Android 12; HarmonyOS 4.0.0.118; OXF-AN00 Build/HUAWEIOXF-AN00; HMSCore 6.13.0.302; wv) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36 EdgA/125.0.0.0 Language/zh_TW ABI/arm64-v8a',
  ],
  ['Chrome on Android (current-uas)', 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.6533.103 Mobile Safari/537.36'],
  // also exactly what SFSafariViewController sends (inapp-spy lists it under SFSVC too)
  [
    'Mobile Safari on iPhone (inapp-spy)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  ],
  [
    'Firefox on iOS (ua-parser-js)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/112.0 Mobile/15E148 Safari/605.1.15',
  ],
  [
    'Chrome on iOS (current-uas)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/127.0.6533.107 Mobile/15E148 Safari/604.1',
  ],
  [
    'Edge on iOS (current-uas)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/127.2651.102 Mobile/15E148 Safari/605.1.15',
  ],
  [
    'Opera on iOS (inapp-spy)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1 OPT/5.0.7',
  ],
  [
    'Samsung Internet (ua-parser-js)',
    'Mozilla/5.0 (Linux; Android 10; Redmi 8A) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
  ],
  [
    'Opera GX on Windows (ua-parser-js)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.103 Safari/537.36 OPR/60.0.3255.50747 OPRGX/60.0.3255.50747',
  ],
  [
    'Opera on Android (ua-parser-js)',
    'Mozilla/5.0 (Linux; Android 11; Armor 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.5481.192 Mobile Safari/537.36 OPR/74.1.3922.71199',
  ],
  // `Version/4.0` like a WebView, but no `wv`
  [
    'DuckDuckGo on Android (ua-parser-js)',
    'Mozilla/5.0 (Linux; Android 8.1.0) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/92.0.4515.131 Mobile DuckDuckGo/5 Safari/537.36',
  ],
  ['no User-Agent at all', ''],
  ['curl (ua-parser-js)', 'curl/7.38.0'],
  ['Googlebot (uap-core)', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
  // link-preview fetchers of the apps above: crawlers, not a person in the app
  ['Facebook link preview (uap-core)', 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)'],
  ['KakaoTalk link preview (ua-parser-js)', 'facebookexternalhit/1.1; kakaotalk-scrap/1.0; +https://devtalk.kakao.com/t/scrap/33984'],
  ['WhatsApp link preview (ua-parser-js)', 'WhatsApp/2.23.20.0'],
  ['Slack link preview (uap-core)', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)'],
  ['Twitterbot (uap-core)', 'Twitterbot/1.0'],
  [
    'Outlook Express, not Outlook mobile (uap-core)',
    'Outlook-Express/7.0 (MSIE 7.0; Windows NT 6.1; Trident/4.0; SLCC2; .NET CLR 2.0.50727; .NET CLR 3.5.30729; .NET CLR 3.0.30729; Media Center PC 6.0; TmstmpExt)',
  ],
];

function userAgentOf(id: InAppBrowserId, platform: InAppPlatform): string {
  const row = IN_APP.find(([, , rowId, rowPlatform]) => rowId === id && rowPlatform === platform);
  if (!row) throw new Error(`no ${id} row on ${platform}`);
  return row[1];
}

describe('detectInAppBrowser', () => {
  it.each(IN_APP)('names the app of a User-Agent published by %s: %s', (_source, userAgent, id, platform) => {
    const found = detectInAppBrowser(userAgent);
    expect({ id: found?.id, platform: found?.platform }).toEqual({ id, platform });
  });

  it.each(REAL_BROWSERS)('names no app for %s', (_label, userAgent) => {
    expect(detectInAppBrowser(userAgent)).toBeUndefined();
  });

  it('has a real User-Agent above for every app it can name', () => {
    const named = new Set(IN_APP.map(([, , id]) => id));
    expect(IN_APP_BROWSER_IDS.filter((id) => !named.has(id))).toEqual([]);
  });

  it('points an app it knows the way out of to its menu on Android and to Safari on iOS', () => {
    expect(detectInAppBrowser(userAgentOf('facebook', 'android'))).toEqual({
      id: 'facebook',
      name: 'Facebook',
      platform: 'android',
      hint: 'menu-open-in-browser',
    });
    expect(detectInAppBrowser(userAgentOf('instagram', 'ios'))).toEqual({ id: 'instagram', name: 'Instagram', platform: 'ios', hint: 'share-open-in-safari' });
  });

  it('offers only copying the link where the way out is not known, and names no app it cannot see', () => {
    expect(detectInAppBrowser(userAgentOf('wechat', 'other'))).toEqual({ id: 'wechat', name: 'WeChat', platform: 'other', hint: 'copy-link' });
    for (const [, userAgent, id] of IN_APP.filter(([, , id]) => ['outlook', 'slack', 'teams', 'ios-webview', 'android-webview'].includes(id))) {
      expect(detectInAppBrowser(userAgent)?.hint, id).toBe('copy-link');
    }
    for (const [, userAgent] of IN_APP.filter(([, , id]) => id.endsWith('-webview'))) {
      expect(detectInAppBrowser(userAgent)?.name).toBeUndefined();
    }
  });

  it('gives every app it names a brand name and one of the hints the page translates', () => {
    for (const [, userAgent, id] of IN_APP) {
      const found = detectInAppBrowser(userAgent)!;
      expect(OPEN_IN_BROWSER_HINTS, id).toContain(found.hint);
      if (!id.endsWith('-webview')) expect(found.name, id).toMatch(/\S/);
    }
  });
});
