import { EventBridgeClient, ListRuleNamesByTargetCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEventTargetFinder } from '../../../src/aws/event-targets.js';

const eventsMock = mockClient(EventBridgeClient);
const QUEUE_A = 'arn:aws:batch:eu-west-1:123456789012:job-queue/a';
const QUEUE_B = 'arn:aws:batch:eu-west-1:123456789012:job-queue/b';

describe('createEventTargetFinder', () => {
  beforeEach(() => eventsMock.reset());

  it('follows NextToken, reads each rule once, and keeps only the targets of the queues asked about', async () => {
    // Prepare
    eventsMock
      .on(ListRuleNamesByTargetCommand, { TargetArn: QUEUE_A })
      .resolvesOnce({ RuleNames: ['nightly'], NextToken: 't1' })
      .resolvesOnce({ RuleNames: ['on-upload'] });
    eventsMock.on(ListRuleNamesByTargetCommand, { TargetArn: QUEUE_B }).resolves({ RuleNames: ['nightly'] });
    eventsMock.on(ListTargetsByRuleCommand, { Rule: 'nightly' }).resolves({
      Targets: [
        {
          Id: '1',
          Arn: QUEUE_A,
          RoleArn: 'arn:aws:iam::123456789012:role/events',
          BatchParameters: { JobDefinition: 'etl', JobName: 'n' },
        },
        { Id: '2', Arn: QUEUE_B, RoleArn: 'arn:aws:iam::123456789012:role/events' },
        { Id: '3', Arn: 'arn:aws:sqs:eu-west-1:123456789012:other' },
      ],
    });
    eventsMock.on(ListTargetsByRuleCommand, { Rule: 'on-upload' }).resolves({ Targets: [{ Id: '1', Arn: QUEUE_A }] });
    // Act
    const targets = await createEventTargetFinder((region) => new EventBridgeClient({ region })).targetsFor(
      'eu-west-1',
      [QUEUE_A, QUEUE_B],
    );
    // Assess
    expect(targets).toEqual([
      {
        ruleArn: 'arn:aws:events:eu-west-1:123456789012:rule/nightly',
        ruleName: 'nightly',
        region: 'eu-west-1',
        jobQueueArn: QUEUE_A,
        roleArn: 'arn:aws:iam::123456789012:role/events',
        jobDefinition: 'etl',
      },
      {
        ruleArn: 'arn:aws:events:eu-west-1:123456789012:rule/on-upload',
        ruleName: 'on-upload',
        region: 'eu-west-1',
        jobQueueArn: QUEUE_A,
        roleArn: undefined,
        jobDefinition: undefined,
      },
      {
        ruleArn: 'arn:aws:events:eu-west-1:123456789012:rule/nightly',
        ruleName: 'nightly',
        region: 'eu-west-1',
        jobQueueArn: QUEUE_B,
        roleArn: 'arn:aws:iam::123456789012:role/events',
        jobDefinition: undefined,
      },
    ]);
    expect(eventsMock).toHaveReceivedNthCommandWith(ListRuleNamesByTargetCommand, 2, {
      TargetArn: QUEUE_A,
      NextToken: 't1',
    });
    expect(eventsMock).toHaveReceivedCommandTimes(ListTargetsByRuleCommand, 2);
  });
});
