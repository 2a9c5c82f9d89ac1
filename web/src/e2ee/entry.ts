// What the server says about end-to-end encryption, and what the page makes
// of it (docs/e2ee.md, "What the server cannot do"). Pure functions, so that
// the unit tests check the decisions without a browser.

/**
 * e2eeEntry decides what a welcome means for encryption: 'encrypt' (an
 * E2EE meeting), 'clear' (an ordinary one, as announced or not announced),
 * or 'downgrade' (announced as encrypted, welcomed as not: refuse).
 */
export function e2eeEntry(announced: boolean | null | undefined, welcomed: boolean): 'encrypt' | 'clear' | 'downgrade' {
  if (welcomed) return 'encrypt';
  return announced === true ? 'downgrade' : 'clear';
}

/**
 * liveDowngrade reports whether a settings change turns encryption off in
 * a call that encrypts: the page then leaves rather than go on in clear.
 * A change that turns it on in a clear call changes nothing either: the
 * call was joined in clear and says so.
 */
export function liveDowngrade(encrypting: boolean, settings: { e2ee?: boolean }): boolean {
  return encrypting && settings.e2ee !== true;
}
