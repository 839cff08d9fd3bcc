// The user directory and the postmaster rule.
export { UserDirectory, PostmasterConflictError, userInputSchema, userIdSchema, type User } from './directory.js';
