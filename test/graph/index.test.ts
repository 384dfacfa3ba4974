import { describe, expect, it } from 'vitest';
import * as graph from '../../src/graph/index.js';

describe('src/graph/index.ts', () => {
  it('re-exports the public surface', () => {
    for (const name of [
      'CLOUDS',
      'isLoopbackHost',
      'resolveGraphRoot',
      'tokenScope',
      'GraphConfigError',
      'isGuid',
      'devicePath',
      'odataStringLiteral',
      'versionRoot',
      'batchUrl',
      'getHeader',
      'parseRetryAfterMs',
      'parseThrottleLimitPercentage',
      'parseGraphError',
      'redactSecrets',
      'MAX_BATCH_REQUESTS',
      'buildBatchBody',
      'parseBatchResponse',
      'longestRetryAfterMs',
      'BatchResponseError',
      'nonRetryableStrategy',
      'throttlingRetryStrategy',
      'exponentialRetryStrategy',
      'decideRetry',
      'isSuccess',
      'defaultRetryStrategies',
    ]) {
      expect(graph, name).toHaveProperty(name);
    }
  });
});
