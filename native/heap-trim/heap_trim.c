// malloc_trim(0) for Node: glibc keeps the heap pages a burst of allocations freed (hundreds of MB
// after large hand-overs) and gives them back only when asked. Elsewhere (musl, macOS) a no-op.
#include <stdlib.h>
#include <node_api.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// trim(): true when memory was given back to the system.
static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#if defined(__GLIBC__)
  released = malloc_trim(0);
#endif
  napi_value result;
  napi_get_boolean(env, released != 0, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn, supported;
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &fn);
  napi_set_named_property(env, exports, "trim", fn);
#if defined(__GLIBC__)
  napi_get_boolean(env, true, &supported);
#else
  napi_get_boolean(env, false, &supported);
#endif
  napi_set_named_property(env, exports, "supported", supported);
  return exports;
}
