import * as z from 'zod';

export const TokenRequest = z.strictObject({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(200),
});
export type TokenRequest = z.infer<typeof TokenRequest>;

export const TokenResponse = z.object({ token: z.string(), expiresAt: z.string() });
export type TokenResponse = z.infer<typeof TokenResponse>;
