/**
 * The rules that cross the wire, in one dependency-free place: the server enforces them, the
 * client and the SPA check them early to say the same thing before a round trip, and the test
 * fakes answer with the same words. Each export carries its `@example` where it is defined.
 */
export * from './roles.ts';
export * from './rooms.ts';
export * from './messages.ts';
export * from './accounts.ts';
export * from './refusals.ts';
export * from './notes.ts';
export * from './search.ts';
export * from './mentions.ts';
export * from './media.ts';
export * from './profiles.ts';
export * from './read.ts';
