/** The error strings of the protocol (§4, §6). Clients match on these exact strings. */
export const ERRORS = {
  wrongData: 'wrong data provided',
  notAuthenticated: 'not authenticated',
  accessDenied: 'access denied',
  tooManyAttempts: 'too many attempts',
  unknownEvent: 'unknown event',
  somethingWentWrong: 'something went wrong',
  wrongPassword: 'wrong password',
  wrongToken: 'wrong token, use credentials',
  giveMeKeysError: 'give me keys error',
  provideAvatar: 'please provide avatar uuid',
  enterName: 'enter name and last name',
  passwordsDiffer: 'new password must match verify',
  passwordUnchanged: 'new password must not match old',
} as const;

export type ErrorString = (typeof ERRORS)[keyof typeof ERRORS];

/**
 * An error the client may see. Anything else thrown by a handler is logged
 * and answered with `something went wrong`.
 */
export class ProtocolError extends Error {
  constructor(readonly error: ErrorString, readonly detail?: string) {
    super(detail ? `${error}: ${detail}` : error);
    this.name = 'ProtocolError';
  }
}
