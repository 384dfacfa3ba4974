/**
 * Routes one {@link GraphCall} (outer or inner) to its handler. Auth, faults and the request log
 * are the caller's business (server for outer requests, batch handler for inner ones).
 */
import { errorResult, type EmulatorContext, type GraphCall, type GraphResult } from '../context.js';
import { GraphErrors } from '../errors.js';
import { parseResourcePath, type ResourceRoute } from '../routes.js';
import { handleBatch } from './batch.js';
import { listRecoveryKeys } from './bitlocker.js';
import { deleteDevice } from './delete.js';
import { patchDevice } from './patch.js';
import { getDevice, listDevices } from './read.js';

/** Handles a call whose route is already parsed. Unsupported methods → 405; a `$batch` inside a
 * batch → 400. */
export function dispatchRoute(ctx: EmulatorContext, call: GraphCall, route: ResourceRoute): GraphResult {
  switch (route.kind) {
    case 'error':
      return errorResult(route.error);
    case 'batch':
      if (call.viaBatch) return errorResult(GraphErrors.nestedBatch());
      if (call.method !== 'POST') return errorResult(GraphErrors.methodNotAllowed());
      return handleBatch(ctx, call, dispatchRoute);
    case 'bitlockerKeys':
      if (call.method !== 'GET') return errorResult(GraphErrors.methodNotAllowed());
      return listRecoveryKeys(ctx, call);
    case 'devices':
      if (call.method !== 'GET') return errorResult(GraphErrors.methodNotAllowed());
      return listDevices(ctx, call);
    case 'device':
      if (call.method === 'GET') return getDevice(ctx, call, route);
      if (call.method === 'PATCH') return patchDevice(ctx, call, route);
      if (call.method === 'DELETE') return deleteDevice(ctx, call, route);
      return errorResult(GraphErrors.methodNotAllowed());
  }
}

/** Parses the call's path and handles it. */
export function dispatch(ctx: EmulatorContext, call: GraphCall): GraphResult {
  return dispatchRoute(ctx, call, parseResourcePath(call.path));
}
