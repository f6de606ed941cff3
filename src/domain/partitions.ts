/**
 * Service principals that a partition spells differently. In the China regions EC2 is
 * `ec2.amazonaws.com.cn`; the other services Batch's roles trust keep their `amazonaws.com` names there,
 * and AWS GovCloud (US) uses the standard names.
 */
const PARTITION_SPELLINGS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'aws-cn': { 'ec2.amazonaws.com': 'ec2.amazonaws.com.cn' },
};

/** The principal of `service` (named as in the `aws` partition) in `partition`. */
export const servicePrincipal = (service: string, partition: string): string =>
  PARTITION_SPELLINGS[partition]?.[service] ?? service;

/**
 * Every spelling of the service that a trust policy in `partition` may use for it: the partition's
 * own first, then the standard name (AWS's own policies list both, e.g. in `iam:PassedToService`).
 */
export const serviceSpellings = (service: string, partition: string): string[] => {
  const own = servicePrincipal(service, partition);
  return own === service ? [service] : [own, service];
};
