/** A username's length after trimming. @example `<input minLength={USERNAME_MIN_CHARS} maxLength={USERNAME_MAX_CHARS} />` */
export const USERNAME_MIN_CHARS = 3;
/** @example `<input maxLength={USERNAME_MAX_CHARS} />` */
export const USERNAME_MAX_CHARS = 32;
/** A password's length (not trimmed). @example `password.length >= PASSWORD_MIN_CHARS` */
export const PASSWORD_MIN_CHARS = 8;
/** @example `<input type="password" maxLength={PASSWORD_MAX_CHARS} />` */
export const PASSWORD_MAX_CHARS = 256;
/** A display name's length after trimming. @example `<input maxLength={DISPLAY_NAME_MAX_CHARS} />` */
export const DISPLAY_NAME_MAX_CHARS = 64;
/** A workspace's name after trimming. @example `<input maxLength={WORKSPACE_NAME_MAX_CHARS} />` */
export const WORKSPACE_NAME_MAX_CHARS = 64;
