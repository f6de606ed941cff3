import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import bundledBaseline from '../../infra/baseline.yaml';
import { createS3TextReader } from '../aws/baseline-s3.js';
import { createDynamoClient, createS3Client, createSecurityHubClient, createSnsClient } from '../aws/clients.js';
import { createDynamoStateStore } from '../aws/finding-state.js';
import { createAwsPorts } from '../aws/ports.js';
import { createS3ReportStore } from '../aws/report-store.js';
import { createSecurityHubImporter } from '../aws/security-hub.js';
import { createSnsPublisher } from '../aws/sns-publisher.js';
import { baselineFromText } from '../baseline/load.js';
import type { Baseline } from '../domain/baseline.js';
import { parseLambdaConfig } from './config.js';
import { createHandler } from './handler.js';

// The service name (a metric dimension) comes from POWERTOOLS_SERVICE_NAME, which carries the stage.
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'batch-iam-drift' });
const metrics = new Metrics({
  namespace: 'BatchIamDrift',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'batch-iam-drift',
});

// Read and validated once per container: a bad variable fails the cold start with a message naming it.
const config = parseLambdaConfig(process.env);

// The S3 client exists only when the baseline lives in S3.
const s3Uri = config.baselineS3Uri;
const readS3 = s3Uri
  ? createS3TextReader(createS3Client(config.regions[0] ?? 'us-east-1', config.timeouts))
  : undefined;
let bundled: Promise<Baseline> | undefined;

/** The baseline for a run: read from S3 every time when BASELINE_S3_URI is set, else the bundled file (parsed once). */
const loadBaseline = (): Promise<Baseline> => {
  if (s3Uri && readS3) return readS3(s3Uri).then((text) => baselineFromText(text, s3Uri));
  bundled ??= Promise.resolve().then(() => baselineFromText(bundledBaseline, 'infra/baseline.yaml (bundled)'));
  return bundled;
};

const home = config.homeRegion;

/** The deployed Lambda entry point (`dist/handler.handler`). */
export const handler = createHandler({
  config,
  ports: createAwsPorts({
    homeRegion: config.regions[0] ?? 'us-east-1',
    endpoint: process.env.AWS_ENDPOINT_URL,
    timeouts: config.timeouts,
  }),
  publisher: createSnsPublisher((region) => createSnsClient(region, config.timeouts)),
  loadBaseline,
  logger,
  metrics,
  ...(config.stateTable
    ? { stateStore: createDynamoStateStore(createDynamoClient(home, config.timeouts), config.stateTable) }
    : {}),
  ...(config.reportBucket
    ? { reportStore: createS3ReportStore(createS3Client(home, config.timeouts), config.reportBucket) }
    : {}),
  ...(config.securityHub
    ? { findingsHub: createSecurityHubImporter(createSecurityHubClient(home, config.timeouts)) }
    : {}),
});
