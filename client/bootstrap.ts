/**
 * Protocol §2 after authentication: the file server prefixes (`storage urls`,
 * pushed on every login), the user (`who am i`), then every start-up read in
 * parallel. A read the server does not know yet (`unknown event`) comes back
 * undefined and is listed in `unavailable`; any other error fails the whole.
 * The wizard checks of §2.4 (empty name, planned password change, no default
 * key, no avatar) are the app's: `self` has what they need.
 */
import type { SelfUser, StorageUrls } from '../lambdas/protocol/objects';
import { isUnknownEvent } from './acks';
import type { MessengerClient } from './client';
import { CLIENT_ERRORS, MessengerError } from './errors';
import type { ClientEvents } from './protocol';
import type { AckOptions, ResultOf } from './types';

export const STARTUP_READS = ['give me keys', 'give me users', 'give me groups', 'give me dialogs', 'give me presence', 'give me messages'] as const;
type StartupRead = (typeof STARTUP_READS)[number];

export interface BootstrapResult {
  self: SelfUser;
  storageUrls: StorageUrls;
  keys: ResultOf<ClientEvents, 'give me keys'> | undefined;
  users: ResultOf<ClientEvents, 'give me users'> | undefined;
  groups: ResultOf<ClientEvents, 'give me groups'> | undefined;
  dialogs: ResultOf<ClientEvents, 'give me dialogs'> | undefined;
  presence: ResultOf<ClientEvents, 'give me presence'> | undefined;
  messages: ResultOf<ClientEvents, 'give me messages'> | undefined;
  /** Start-up reads the server answered `unknown event` (not deployed yet). */
  unavailable: StartupRead[];
}

export async function bootstrap(client: MessengerClient, options: AckOptions = {}): Promise<BootstrapResult> {
  const [storageUrls, self] = await Promise.all([storageUrlsOf(client, options.timeout ?? 30_000), client.emitWithAck('who am i', undefined, options)]);
  const unavailable = new Set<StartupRead>();
  const read = async <E extends StartupRead>(event: E): Promise<ResultOf<ClientEvents, E> | undefined> => {
    try {
      return (await client.emitWithAck<StartupRead>(event, undefined, options)) as ResultOf<ClientEvents, E>;
    } catch (error) {
      if (!isUnknownEvent(error)) throw error;
      unavailable.add(event);
      return undefined;
    }
  };
  const [keys, users, groups, dialogs, presence, messages] = await Promise.all([
    read('give me keys'),
    read('give me users'),
    read('give me groups'),
    read('give me dialogs'),
    read('give me presence'),
    read('give me messages'),
  ]);
  return { self, storageUrls, keys, users, groups, dialogs, presence, messages, unavailable: STARTUP_READS.filter((e) => unavailable.has(e)) };
}

/** The last `storage urls` push, or the next one. */
function storageUrlsOf(client: MessengerClient, timeoutMs: number): Promise<StorageUrls> {
  if (client.storageUrls) return Promise.resolve(client.storageUrls);
  return new Promise((resolve, reject) => {
    const received = (urls: StorageUrls) => {
      clearTimeout(timer);
      resolve(urls);
    };
    const timer = setTimeout(() => {
      client.off('storage urls', received);
      reject(new MessengerError(CLIENT_ERRORS.timeout, 'storage urls'));
    }, timeoutMs);
    client.once('storage urls', received);
  });
}
