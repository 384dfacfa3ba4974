/**
 * Graph error bodies and the catalogue of errors the emulator answers with.
 * Shape (docs/graph-behaviour.md §1 "Error body shape"):
 * `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
 */

/** An error decided by a pure rule, before request ids are known. */
export interface GraphErrorSpec {
  /** HTTP status, e.g. 400. */
  status: number;
  /** Graph `error.code`, e.g. `Request_BadRequest`. */
  code: string;
  /** Graph `error.message`. */
  message: string;
}

/** The JSON body of a Graph error response. */
export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string };
  };
}

/** Graph's `innerError.date`: UTC, seconds precision, no zone suffix, e.g. `2024-09-19T11:52:23`. */
export function graphDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

/**
 * Builds a Graph error body.
 * @param spec code and message
 * @param ids the response's `request-id` and the echoed `client-request-id`
 * @param epochMs time for `innerError.date` (ms since the epoch)
 */
export function errorBody(
  spec: Pick<GraphErrorSpec, 'code' | 'message'>,
  ids: { requestId: string; clientRequestId: string },
  epochMs: number,
): GraphErrorBody {
  return {
    error: {
      code: spec.code,
      message: spec.message,
      innerError: { date: graphDate(epochMs), 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId },
    },
  };
}

const err = (status: number, code: string, message: string): GraphErrorSpec => ({ status, code, message });

/** The errors the emulator produces, by situation. Messages follow Graph's wording where known. */
export const GraphErrors = {
  /** §1: unknown object id or deviceId. */
  notFound: (key: string) =>
    err(
      404,
      'Request_ResourceNotFound',
      `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
    ),
  /** A key segment that is not a GUID. */
  invalidObjectId: (value: string) => err(400, 'Request_BadRequest', `Invalid object identifier '${value}'.`),
  /** A key segment with bad syntax, e.g. `deviceId=abc` without quotes. */
  keySyntax: (segment: string) => err(400, 'Request_BadRequest', `Bad Request - Error in query syntax: '${segment}'.`),
  /** A path segment the service does not know (also: `/v1.0/` inside a batch url, §2). */
  segmentNotFound: (segment: string) => err(400, 'BadRequest', `Resource not found for the segment '${segment}'.`),
  invalidVersion: (segment: string) => err(400, 'BadRequest', `Invalid version: ${segment}`),
  methodNotAllowed: () => err(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.'),
  /** Body not JSON, or Content-Type not application/json (Graph's wording). */
  unreadableJson: () =>
    err(
      400,
      'BadRequest',
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    ),
  invalidProperty: (name: string) => err(400, 'Request_BadRequest', `Invalid property '${name}'.`),
  readOnlyProperty: (name: string) => err(400, 'Request_BadRequest', `Property '${name}' is read-only and cannot be set.`),
  invalidValue: (name: string) => err(400, 'Request_BadRequest', `Invalid value specified for property '${name}' of resource 'Device'.`),
  /** §1: Intune/MDM-owned properties. */
  insufficientPrivileges: () => err(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
  /** §1: app-only callers on non-Windows devices. */
  nonWindowsAppOnly: () =>
    err(400, 'Request_BadRequest', 'Properties other than ExtendedAttribute1..15 can be modified only on windows devices.'),
  selectUnknown: (name: string) =>
    err(400, 'Request_BadRequest', `Could not find a property named '${name}' on type 'microsoft.graph.device'.`),
  invalidTop: (value: string) =>
    err(400, 'Request_BadRequest', `Invalid page size specified: '${value}'. Must be between 1 and 999 inclusive.`),
  invalidSkipToken: () => err(400, 'Request_BadRequest', 'Invalid skip token.'),
  unsupportedQuery: (detail: string) => err(400, 'Request_UnsupportedQuery', `Unsupported query: ${detail}`),
  /** §5: `$filter` text outside OData's grammar. */
  invalidFilter: (detail: string) => err(400, 'BadRequest', `Invalid filter clause: ${detail}`),
  /** §5: an operator (or `any`) the property does not support, or a property that is not filterable. */
  unsupportedFilterProperty: (name: string) =>
    err(
      400,
      'Request_UnsupportedQuery',
      `Unsupported or invalid query filter clause specified for property '${name}' of resource 'Device'.`,
    ),
  /** §5: a literal of the wrong type, e.g. a quoted date or a string for a boolean. */
  incompatibleTypes: (left: string, right: string) =>
    err(
      400,
      'Request_BadRequest',
      `A binary operator with incompatible types was detected. Found operand types '${left}' and '${right}' for operator kind 'Equal'.`,
    ),
  /** §5: `ne`, `not`, `endsWith` (or `$count`) without `ConsistencyLevel: eventual`. */
  advancedQueryHeaderMissing: (what: string) =>
    err(
      400,
      'Request_UnsupportedQuery',
      `${what} is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
    ),
  /** §5: the header is there but `$count=true` is not. */
  advancedQueryCountMissing: (what: string) =>
    err(
      400,
      'Request_UnsupportedQuery',
      `${what} is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
    ),
  /** §5: `$filter` with `$orderby` outside an advanced query, or an `$orderby` property that cannot be sorted. */
  sortingNotSupported: () => err(400, 'Request_UnsupportedQuery', 'Sorting not supported for current query.'),
  /** §5: cloud writes to the synced properties of a device synced from on-premises AD. */
  onPremisesMastered: () =>
    err(
      400,
      'Request_BadRequest',
      'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
    ),
  /** §4: no bearer token. */
  tokenEmpty: () => err(401, 'InvalidAuthenticationToken', 'Access token is empty.'),
  tokenInvalid: () => err(401, 'InvalidAuthenticationToken', 'Access token validation failure.'),
  /** §4: expired (or revoked) token. */
  tokenExpired: () => err(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.'),
  /** §2 whole-batch errors. */
  batchTooLarge: () => err(400, 'BadRequest', 'Number of requests inside batch exceeds the limit of 20.'),
  batchInvalid: (detail: string) => err(400, 'BadRequest', `Invalid batch payload format. ${detail}`.trim()),
  batchDuplicateId: (id: string) => err(400, 'BadRequest', `Request Id ${id} has to be unique in a batch.`),
  batchMissingContentType: (id: string) => err(400, 'BadRequest', `Write request id : ${id} does not contain Content-Type header or body.`),
  batchUnknownDependency: (id: string, dep: string) =>
    err(400, 'BadRequest', `Request Id ${id} depends on Request Id ${dep}, which is not an earlier request in the batch.`),
  nestedBatch: () => err(400, 'BadRequest', 'Nested batch requests are not supported.'),
  /** §2: dependsOn target failed. */
  failedDependency: () => err(424, 'FailedDependency', 'The request could not be processed because a request it depends on failed.'),
  payloadTooLarge: () => err(413, 'RequestEntityTooLarge', 'The request body is too large.'),
  /** Fault injection. */
  serviceUnavailable: () => err(503, 'ServiceNotAvailable', 'The service is temporarily unavailable. Please retry later.'),
  gatewayTimeout: () => err(504, 'GatewayTimeout', 'The gateway did not receive a response from the backend in time.'),
  internal: (code: 'InternalServerError' | 'UnknownError') =>
    err(500, code, code === 'UnknownError' ? '' : 'An internal server error occurred while processing the request.'),
} as const;
