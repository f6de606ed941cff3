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
    expect(eventsMock).toHaveReceivedCommandWith(ListRuleNamesByTargetCommand, {
      TargetArn: QUEUE_A,
      NextToken: 't1',
    });
    expect(eventsMock).toHaveReceivedCommandTimes(ListTargetsByRuleCommand, 2);
  });

  it("looks queues up a few at a time, and keeps the queues' order in its answer", async () => {
    let inFlight = 0;
    let peak = 0;
    eventsMock.on(ListRuleNamesByTargetCommand).callsFake(async (input: { TargetArn?: string }) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return { RuleNames: [`rule-${input.TargetArn?.split('/').pop()}`] };
    });
    eventsMock.on(ListTargetsByRuleCommand).callsFake(async (input: { Rule?: string }) => ({
      Targets: [{ Id: '1', Arn: `arn:aws:batch:eu-west-1:123456789012:job-queue/${input.Rule?.slice(5)}` }],
    }));
    const queues = Array.from({ length: 10 }, (_, i) => `arn:aws:batch:eu-west-1:123456789012:job-queue/q${i}`);
    const targets = await createEventTargetFinder((region) => new EventBridgeClient({ region })).targetsFor(
      'eu-west-1',
      queues,
    );
    expect(peak).toBe(4);
    expect(targets.map((t) => t.jobQueueArn)).toEqual(queues);
  });
});
