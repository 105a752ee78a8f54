/**
 * The rules that cross the wire, in one dependency-free place: the server enforces them, the
 * client and the SPA check them early to say the same thing before a round trip.
 */
export {};
