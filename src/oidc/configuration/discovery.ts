// What discovery says beyond what oidc-provider derives from its own features: the parts linkid
// implements itself. Each is true only because something outside oidc-provider makes it so, and
// test/flows/discovery.test.ts uses each one rather than reading it back.
import type { Configuration } from 'oidc-provider';
import { LOCALES } from '../../kernel/locales.js';

export const discoveryConfiguration = ({ requirePar }: { readonly requirePar: boolean }): Pick<Configuration, 'discovery'> => ({
  discovery: {
    // RFC 9126 §5: said either way, so no client has to know the default. REQUIRE_PAR holds the apps
    // in the store to it, not oidc-provider's global switch (high-security.ts), which would list it only when true.
    require_pushed_authorization_requests: requirePar,
    claim_types_supported: ['normal'],
    // OpenID Connect Front-Channel Logout 1.0: oidc-provider 9 dropped it, src/oidc/frontchannel-logout.ts
    // frames each app's frontchannel_logout_uri with `iss` and `sid` (the session parameters).
    frontchannel_logout_supported: true,
    frontchannel_logout_session_supported: true,
    // The languages every page and email is written in (views/locales/); ui_locales picks one.
    ui_locales_supported: [...LOCALES],
  },
});
