/** Defaults of the HTTP service, in a module of their own so that reading them loads nothing else. */

/** Largest request body accepted, in bytes. */
export const defaultMaxBodyBytes = 1024 * 1024;
