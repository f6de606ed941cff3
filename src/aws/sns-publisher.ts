import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../render/alert.js';

/**
 * Actions publishing needs: sns:Publish on the topic, and, because the topic is encrypted with a
 * customer-managed KMS key, kms:GenerateDataKey and kms:Decrypt on that key.
 */
export const SNS_PUBLISHER_PERMISSIONS = ['sns:Publish', 'kms:GenerateDataKey', 'kms:Decrypt'] as const;

/** Sends alerts to an SNS topic. */
export interface AlertPublisher {
  /** Publishes one alert; resolves to the SNS message id, rejects when SNS refuses it. */
  publish(topicArn: string, alert: Alert): Promise<string>;
}

/** The region an SNS topic ARN lives in. */
export const topicRegion = (topicArn: string): string => topicArn.split(':')[3] ?? '';

/** Publishes with `MessageStructure: 'json'`, one SNS client per topic region. */
export const createSnsPublisher = (clientFor: (region: string) => SNSClient): AlertPublisher => {
  const clients = new Map<string, SNSClient>();
  return {
    async publish(topicArn, alert) {
      const region = topicRegion(topicArn);
      const client = clients.get(region) ?? clientFor(region);
      clients.set(region, client);
      const out = await client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: alert.subject,
          Message: alert.message,
          MessageStructure: 'json',
          MessageAttributes: { ...alert.attributes },
        }),
      );
      return out.MessageId ?? '';
    },
  };
};
