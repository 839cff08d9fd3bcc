'use strict';
// The compiled binding when it was built (npm install builds it; it is optional), else a stand-in
// that does nothing: Postroom runs the same, only its memory after a burst stays higher.
let binding = null;
try {
  binding = require('./build/Release/heap_trim.node');
} catch {
  binding = null;
}

module.exports = {
  /** Whether trim() can give memory back here (glibc, binding built). */
  supported: Boolean(binding && binding.supported),
  /** malloc_trim(0): true when memory was given back. */
  trim: () => (binding ? binding.trim() : false),
};
