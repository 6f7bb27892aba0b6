/**
 * The login a client keeps across connections: the stored token, the logins
 * the app asked for, and the app's hooks (`onToken`, `getCredentials`). It
 * decides what to authenticate with next; the client sends it.
 */
import type { AuthResult } from '../lambdas/protocol/objects';
import { CLIENT_ERRORS, MessengerError } from './errors';
import type { ClientOptions } from './options';

export type AuthEvent = 'auth by credentials' | 'auth by token' | 'subscribe';
export const AUTH_EVENTS: ReadonlySet<string> = new Set<AuthEvent>(['auth by credentials', 'auth by token', 'subscribe']);

type Settle = (error: MessengerError | null, result?: AuthResult) => void;

export interface AuthStep {
  event: AuthEvent;
  data: unknown;
  /** Set for `login()` and auth frames the app emits itself; calls after the first do nothing. */
  settle?: Settle;
  /** Settled already (answered, timed out, or failed with the client). */
  readonly done?: boolean;
}

/** What one authentication round has already tried, so it asks each source once. */
export type Tried = Set<'token' | 'credentials'>;

export class Session {
  private stored: AuthResult | undefined;
  private readonly explicit: AuthStep[] = [];
  /** The server ended the login (`log out please`): nothing automatic until the app logs in again. */
  loggedOut = false;

  constructor(
    private readonly hooks: Pick<ClientOptions, 'auth' | 'onToken' | 'getCredentials' | 'lightweight'>,
    private readonly report: (error: unknown) => void,
  ) {
    this.stored = hooks.auth ?? undefined;
  }

  get login(): AuthResult | undefined {
    return this.stored;
  }

  /** Something to log in with, now or after asking: worth a connection. */
  get wanted(): boolean {
    return !this.loggedOut || this.stored !== undefined || this.explicit.length > 0;
  }

  /**
   * A login the app asked for; it goes before the automatic ones. It settles
   * once: with the server's answer, `ack timeout` after `timeoutMs` from now
   * (however long it waited for a connection), or by `failRequests`.
   */
  request(event: AuthEvent, data: unknown, timeoutMs: number, settle: Settle): void {
    let done = false;
    const step: AuthStep = {
      event,
      data,
      settle: (error, result) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const queued = this.explicit.indexOf(step);
        if (queued >= 0) this.explicit.splice(queued, 1);
        settle(error, result);
      },
      get done() {
        return done;
      },
    };
    const timer =
      timeoutMs > 0 && Number.isFinite(timeoutMs) ? setTimeout(() => step.settle!(new MessengerError(CLIENT_ERRORS.timeout, event)), timeoutMs) : undefined;
    this.explicit.push(step);
  }

  /** A login that was on its way when its connection went: first on the next one, unless settled meanwhile. */
  retry(step: AuthStep): void {
    if (!step.done) this.explicit.unshift(step);
  }

  failRequests(code: MessengerError['code']): void {
    for (const step of [...this.explicit]) step.settle?.(new MessengerError(code, step.event));
  }

  /** Explicit logins first; then, unless already authenticated, the stored token, then `getCredentials()`. */
  async next(tried: Tried, authenticated: boolean): Promise<AuthStep | undefined> {
    const explicit = this.explicit.shift();
    if (explicit) return explicit;
    if (authenticated) return undefined;
    if (this.stored && !tried.has('token')) {
      tried.add('token');
      const { userId, token } = this.stored;
      return { event: 'auth by token', data: { userId, token, ...(this.hooks.lightweight ? { isLightweight: true } : {}) } };
    }
    if (!this.hooks.getCredentials || this.loggedOut || tried.has('credentials')) return undefined;
    tried.add('credentials');
    try {
      const credentials = await this.hooks.getCredentials();
      return credentials && { event: 'auth by credentials', data: credentials };
    } catch (error) {
      this.report(error);
      return undefined;
    }
  }

  /** A new login (tokens rotate on every use) or none; the app hears of every change through `onToken`. */
  async store(login: AuthResult | null): Promise<void> {
    if (login) this.loggedOut = false;
    if ((login ?? undefined) === this.stored) return;
    this.stored = login ?? undefined;
    try {
      await this.hooks.onToken?.(login);
    } catch (error) {
      this.report(error);
    }
  }
}
