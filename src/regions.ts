import { ConfigError } from './errors.js';

/** An AWS region name: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, ... */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** True when `value` has the shape of an AWS region name. */
export const isRegionName = (value: string): boolean => REGION.test(value);

/**
 * Parses a comma-separated region list, de-duplicated in order. `source` names where the list came
 * from (`--regions`, `AUDIT_REGIONS`) in the error a user sees.
 */
export const parseRegionList = (text: string, source: string): string[] => {
  const regions = [
    ...new Set(
      text
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  ];
  if (regions.length === 0) throw new ConfigError(`${source} is empty: name at least one region, e.g. us-east-1.`);
  for (const region of regions) {
    if (!isRegionName(region)) {
      throw new ConfigError(
        `${source}: "${region}" is not an AWS region name (expected something like us-east-1 or eu-west-2).`,
      );
    }
  }
  return regions;
};
