import {
  type EventBridgeClient,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import pLimit from 'p-limit';
import type { EventTarget } from '../domain/model.js';
import type { EventTargetFinder } from '../ports.js';
import { untilAborted } from './abort.js';

/** EventBridge actions this adapter calls; the deployment's role must grant exactly these (checked by a test). */
export const EVENT_TARGET_PERMISSIONS = ['events:ListRuleNamesByTarget', 'events:ListTargetsByRule'] as const;

/** Queue lookups in flight at once per region. */
const QUEUE_LOOKUPS_IN_FLIGHT = 4;

/** Follows NextToken to the end (the EventBridge client has no paginators). */
const allPages = async <T>(page: (token: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>) => {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const out = await page(token);
    items.push(...out.items);
    token = out.next;
  } while (token);
  return items;
};

/**
 * Finds, for each job queue, the rules on the default event bus that target it
 * (ListRuleNamesByTarget), then reads each such rule's targets once for the role EventBridge assumes.
 */
export const createEventTargetFinder = (clientFor: (region: string) => EventBridgeClient): EventTargetFinder => {
  const clients = new Map<string, EventBridgeClient>();
  const finder: EventTargetFinder = {
    async targetsFor(region, jobQueueArns, signal) {
      const client = clients.get(region) ?? clientFor(region);
      clients.set(region, client);
      const options = signal ? { abortSignal: signal } : {};
      const targetsOf = new Map<string, Promise<Target[]>>();
      // Queues are looked up a few at a time (EventBridge's control plane allows a handful of calls per
      // second); one after another they took seconds at a hundred queues.
      const limit = pLimit(QUEUE_LOOKUPS_IN_FLIGHT);
      const perQueue = await Promise.all(
        jobQueueArns.map((queueArn) =>
          limit(async () => {
            const rules = await allPages(async (NextToken) => {
              const out = await client.send(
                new ListRuleNamesByTargetCommand({ TargetArn: queueArn, NextToken }),
                options,
              );
              return { items: out.RuleNames ?? [], next: out.NextToken };
            });
            const targets: EventTarget[] = [];
            for (const rule of rules) {
              let ruleTargets = targetsOf.get(rule);
              if (!ruleTargets) {
                ruleTargets = allPages(async (NextToken) => {
                  const out = await client.send(new ListTargetsByRuleCommand({ Rule: rule, NextToken }), options);
                  return { items: out.Targets ?? [], next: out.NextToken };
                });
                targetsOf.set(rule, ruleTargets);
              }
              const [partition, account] = [queueArn.split(':')[1], queueArn.split(':')[4]];
              for (const target of (await ruleTargets).filter((t) => t.Arn === queueArn)) {
                targets.push({
                  ruleArn: `arn:${partition}:events:${region}:${account}:rule/${rule}`,
                  ruleName: rule,
                  region,
                  jobQueueArn: queueArn,
                  roleArn: target.RoleArn,
                  jobDefinition: target.BatchParameters?.JobDefinition,
                });
              }
            }
            return targets;
          }),
        ),
      );
      const found = perQueue.flat();
      return found;
    },
  };
  // Retries back off without watching the signal: a deadline must end the lookups at once.
  return {
    targetsFor: (region, jobQueueArns, signal) => untilAborted(finder.targetsFor(region, jobQueueArns, signal), signal),
  };
};
