// The user directory and the postmaster rule.
export { UserDirectory, PostmasterConflictError, UserOwnershipError, type UserWriter, userInputSchema, userIdSchema, type User } from './directory.js';
