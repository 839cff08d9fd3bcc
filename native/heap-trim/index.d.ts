/** Whether trim() can give memory back here (glibc, binding built). */
export declare const supported: boolean;
/** malloc_trim(0): true when memory was given back. */
export declare function trim(): boolean;
