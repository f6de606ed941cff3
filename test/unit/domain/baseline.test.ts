import { describe, expect, it } from 'vitest';
import { AWS_DEFAULT_BASELINE, expectationFor, overlayBaseline } from '../../../src/domain/baseline.js';
import { normalisePolicy } from '../../../src/domain/policy.js';
import { ACCOUNT, ce, evaluateInventory, found, role, snapshotOf } from '../../support/domain.js';

const node = { name: 'eks-node', arn: `arn:aws:iam::${ACCOUNT}:role/eks-node` };

describe('expectationFor', () => {
  it('takes managedPolicies as the exact set: what the entry also allows adds to nothing inherited', () => {
    const baseline = overlayBaseline(AWS_DEFAULT_BASELINE, {
      roles: [
        {
          match: { name: 'eks-node' },
          managedPolicies: ['AmazonEKSWorkerNodePolicy'],
          allowedManagedPolicies: ['CloudWatchAgentServerPolicy'],
        },
      ],
    });
    const expected = expectationFor(baseline, node, 'eks-node-role');
    // The kind's default also allows AmazonEKS_CNI_Policy; an exact set does not inherit it.
    expect(expected.allowedManagedPolicies).toEqual(['CloudWatchAgentServerPolicy']);
    expect(expected.requiredManagedPolicies).toEqual([['AmazonEKSWorkerNodePolicy']]);
    expect(expected.exactManagedPolicies).toBe(true);
  });

  it("adds allowed policies to the kind's when the entry gives no exact set", () => {
    const baseline = overlayBaseline(AWS_DEFAULT_BASELINE, {
      roles: [{ match: { name: 'eks-node' }, allowedManagedPolicies: ['CloudWatchAgentServerPolicy'] }],
    });
    expect(expectationFor(baseline, node, 'eks-node-role').allowedManagedPolicies).toEqual([
      'AmazonEKS_CNI_Policy',
      'CloudWatchAgentServerPolicy',
    ]);
  });
});

describe('trust principals in a baseline', () => {
  it('treats a root ARN in allowedPrincipals as the bare account id', () => {
    const trust = normalisePolicy({
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'batch.amazonaws.com' }, Action: 'sts:AssumeRole' },
        { Effect: 'Allow', Principal: { AWS: '210987654321' }, Action: 'sts:AssumeRole' },
      ],
    });
    const roles = {
      AWSBatchServiceRole: found(
        role('AWSBatchServiceRole', 'batch.amazonaws.com', {
          path: '/service-role/',
          trustPolicy: trust,
          attachedPolicies: [
            { arn: 'arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole', name: 'AWSBatchServiceRole' },
          ],
        }),
      ),
    };
    const baseline = overlayBaseline(AWS_DEFAULT_BASELINE, {
      roles: [
        { match: { name: 'AWSBatchServiceRole' }, trust: { principals: ['AWS:arn:aws:iam::210987654321:root'] } },
      ],
    });
    const rules = (b = baseline) =>
      evaluateInventory(
        { computeEnvironments: [ce('f', { resourceType: 'FARGATE', instanceRole: undefined })] },
        snapshotOf(roles),
        b,
      )
        .filter((f) => f.rule === 'trust-principal-unexpected')
        .map((f) => [f.subject, f.severity]);
    expect(rules()).toEqual([]);
    expect(rules(AWS_DEFAULT_BASELINE)).toEqual([['AWS:210987654321', 'critical']]);
  });
});
