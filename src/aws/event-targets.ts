import {
  type EventBridgeClient,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import type { EventTarget } from '../domain/model.js';
import type { EventTargetFinder } from '../ports.js';
import { untilAborted } from './abort.js';

/** EventBridge actions this adapter calls; the deployment's role must grant exactly these (checked by a test). */
export const EVENT_TARGET_PERMISSIONS = ['events:ListRuleNamesByTarget', 'events:ListTargetsByRule'] as const;

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
      const found: EventTarget[] = [];
      for (const queueArn of jobQueueArns) {
        const rules = await allPages(async (NextToken) => {
          const out = await client.send(new ListRuleNamesByTargetCommand({ TargetArn: queueArn, NextToken }), options);
          return { items: out.RuleNames ?? [], next: out.NextToken };
        });
        for (const rule of rules) {
          let targets = targetsOf.get(rule);
          if (!targets) {
            targets = allPages(async (NextToken) => {
              const out = await client.send(new ListTargetsByRuleCommand({ Rule: rule, NextToken }), options);
              return { items: out.Targets ?? [], next: out.NextToken };
            });
            targetsOf.set(rule, targets);
          }
          const [partition, account] = [queueArn.split(':')[1], queueArn.split(':')[4]];
          for (const target of (await targets).filter((t) => t.Arn === queueArn)) {
            found.push({
              ruleArn: `arn:${partition}:events:${region}:${account}:rule/${rule}`,
              ruleName: rule,
              region,
              jobQueueArn: queueArn,
              roleArn: target.RoleArn,
              jobDefinition: target.BatchParameters?.JobDefinition,
            });
          }
        }
      }
      return found;
    },
  };
  // Retries back off without watching the signal: a deadline must end the lookups at once.
  return {
    targetsFor: (region, jobQueueArns, signal) => untilAborted(finder.targetsFor(region, jobQueueArns, signal), signal),
  };
};
