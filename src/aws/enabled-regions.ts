import { DescribeRegionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { EmptyResponse } from './errors.js';

/** EC2 actions this adapter calls. */
export const REGION_LISTER_PERMISSIONS = ['ec2:DescribeRegions'] as const;

const ENABLED = new Set(['opt-in-not-required', 'opted-in']);

/**
 * The account's enabled regions: the default ones and the opt-in regions the account enabled.
 * `DescribeRegions` without `AllRegions` already leaves out the regions not enabled; the status check
 * guards against an endpoint that lists them anyway.
 */
export const enabledRegions = async (client: EC2Client, signal?: AbortSignal): Promise<string[]> => {
  const out = await client.send(new DescribeRegionsCommand({}), signal ? { abortSignal: signal } : {});
  if (!out.Regions) throw new EmptyResponse('ec2:DescribeRegions');
  return out.Regions.filter((r) => r.OptInStatus === undefined || ENABLED.has(r.OptInStatus))
    .flatMap((r) => (r.RegionName ? [r.RegionName] : []))
    .sort();
};
