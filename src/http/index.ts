// The HTTP interface: the JSON API, health, metrics and the OpenAPI document.
export { buildHttpServer, type HttpOptions } from './server.js';
export { API_PREFIX } from './api.js';
export { DEFAULT_HAND_OVER_LIMITS, HandOverLimits } from './limits.js';
export { SESSION_COOKIE, CSRF_COOKIE, CSRF_HEADER } from './caller.js';
