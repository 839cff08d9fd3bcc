// Outlook (New): drafts created in a mailbox for users who send from the new Outlook.
export { OutlookDrafts, MissingGraphSettingsError, draftInputSchema, type DraftInput, type CreatedDraft } from './drafts.js';
export { Composer, isComposed, type Composed, type ComposeResult } from './compose.js';
