/**
 * Row validation: manifest rows → PATCH bodies or invalid rows.
 */
export { createValidator, isInvalid, type ValidationResult, type ValidatorOptions } from './validator.js';
export { canonicalGuid, isGuid, normaliseKey, type KeyNormalisation } from './guid.js';
export { BOOLEAN_HINT, parseBoolean, type BooleanParse } from './boolean.js';
export { MAX_LENGTH } from './limits.js';
export { GuidRowTable } from './duplicates.js';
