// The process's memory: freed heap given back to the system after bursts (postroom serve only;
// an application that embeds Postroom owns its process and decides for itself).
export { HeapTrimmer, type HeapTrimOptions } from './heap-trim.js';
