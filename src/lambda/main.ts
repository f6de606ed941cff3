import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createSnsClient } from '../aws/clients.js';
import { createAwsPorts } from '../aws/ports.js';
import { createSnsPublisher } from '../aws/sns-publisher.js';
import { AWS_DEFAULT_BASELINE } from '../domain/baseline.js';
import { parseLambdaConfig } from './config.js';
import { createHandler } from './handler.js';

const logger = new Logger({ serviceName: 'batch-iam-drift' });
const metrics = new Metrics({ namespace: 'BatchIamDrift', serviceName: 'batch-iam-drift' });

// Read and validated once per container: a bad variable fails the cold start with a message naming it.
const config = parseLambdaConfig(process.env);

/** The deployed Lambda entry point (`dist/handler.handler`). */
export const handler = createHandler({
  config,
  ports: createAwsPorts({ homeRegion: config.regions[0] ?? 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL }),
  publisher: createSnsPublisher(createSnsClient),
  baseline: AWS_DEFAULT_BASELINE,
  logger,
  metrics,
});
