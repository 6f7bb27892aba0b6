/**
 * Payload schemas of the client-emitted frames (protocol §4). A payload that
 * fails its schema is answered `wrong data provided` before anything is read
 * or written. Unknown keys are dropped, not refused: old clients send extras.
 */
import { z } from 'zod';

export const LIMITS = {
  username: 64,
  password: 1024,
  token: 4096,
} as const;

export const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const noData = z.unknown();

const credentials = z.object({
  username: z.string().trim().min(1).max(LIMITS.username),
  password: z.string().min(1).max(LIMITS.password),
});

export const schemas = {
  authByCredentials: credentials,
  authByToken: z.object({
    userId: id,
    token: z.string().min(1).max(LIMITS.token),
    isLightweight: z.boolean().optional(),
  }),
  noData,
} as const;

export type Credentials = z.infer<typeof credentials>;
export type TokenLogin = z.infer<typeof schemas.authByToken>;
