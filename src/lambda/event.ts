import { SEVERITIES, type Severity } from '../domain/model.js';
import { BatchIamDriftError } from '../errors.js';
import { parseRegionList } from '../regions.js';

/** The invocation's payload is not a scheduled event nor a valid on-demand request: nothing is audited. */
export class InvalidEventError extends BatchIamDriftError {
  public override readonly name = 'InvalidEventError';
}

/** What one invocation asks for, after defaults from the configuration. */
export interface AuditRequest {
  readonly trigger: 'schedule' | 'on-demand';
  readonly regions: readonly string[];
  readonly computeEnvironments?: readonly string[];
  readonly dryRun: boolean;
  readonly minSeverity: Severity;
}

const ON_DEMAND_KEYS = ['regions', 'computeEnvironments', 'dryRun', 'minSeverity'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringList = (value: unknown, field: string): string[] => {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v.length > 0)) {
    throw new InvalidEventError(`${field} must be a non-empty list of strings`);
  }
  return value as string[];
};

/**
 * Reads the EventBridge `Scheduled Event` or an on-demand request
 * `{regions?, computeEnvironments?, dryRun?, minSeverity?}`; anything else is rejected with a message
 * that names the field.
 */
export const parseEvent = (
  event: unknown,
  defaults: { readonly regions: readonly string[]; readonly minSeverity: Severity },
): AuditRequest => {
  if (!isObject(event)) throw new InvalidEventError('The event must be a JSON object');
  if (event['detail-type'] === 'Scheduled Event' && event.source === 'aws.events') {
    return { trigger: 'schedule', regions: defaults.regions, dryRun: false, minSeverity: defaults.minSeverity };
  }
  const unknown = Object.keys(event).filter((key) => !ON_DEMAND_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new InvalidEventError(
      `Unknown field${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => `"${k}"`).join(', ')}: an on-demand event takes ${ON_DEMAND_KEYS.join(', ')}`,
    );
  }
  let regions = defaults.regions;
  if (event.regions !== undefined) {
    try {
      regions = parseRegionList(stringList(event.regions, 'regions').join(','), 'regions');
    } catch (error) {
      throw new InvalidEventError((error as Error).message);
    }
  }
  if (event.dryRun !== undefined && typeof event.dryRun !== 'boolean')
    throw new InvalidEventError('dryRun must be true or false');
  let minSeverity = defaults.minSeverity;
  if (event.minSeverity !== undefined) {
    if (typeof event.minSeverity !== 'string' || !SEVERITIES.includes(event.minSeverity as Severity)) {
      throw new InvalidEventError(`minSeverity must be one of ${SEVERITIES.join(', ')}`);
    }
    minSeverity = event.minSeverity as Severity;
  }
  return {
    trigger: 'on-demand',
    regions,
    ...(event.computeEnvironments === undefined
      ? {}
      : { computeEnvironments: stringList(event.computeEnvironments, 'computeEnvironments') }),
    dryRun: event.dryRun === true,
    minSeverity,
  };
};
