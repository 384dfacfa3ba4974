/**
 * Microsoft Graph knowledge of graph-bulk, as pure functions: clouds and roots, URLs, headers,
 * Retry-After, error bodies, JSON batching and retry decisions. See docs/graph-behaviour.md.
 */
export * from './clouds.js';
export * from './guid.js';
export * from './urls.js';
export * from './headers.js';
export * from './retry-after.js';
export * from './errors.js';
export * from './batch.js';
export * from './retry.js';
