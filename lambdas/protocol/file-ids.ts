/**
 * File ids (avatars, attachments; protocol §7): a UUID v4 the client makes,
 * in any letter case. Kept apart from the zod schemas so the file server
 * Lambda does not bundle zod.
 */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export const isUuidV4 = (value: unknown): value is string => typeof value === 'string' && UUID_V4.test(value);
