import { Logger } from '@aws-lambda-powertools/logger';
import bundledBaseline from '../../infra/baseline.yaml';
import { parseS3Uri } from '../arns.js';
import { createS3TextReader } from '../aws/baseline-s3.js';
import { createOrganizationsClient, createS3Client, createSnsClient, createStsClient } from '../aws/clients.js';
import { assumedRoleCredentials } from '../aws/credentials.js';
import { createStsIdentity } from '../aws/identity.js';
import { createOrganizationDirectory } from '../aws/organization.js';
import { createAwsPorts } from '../aws/ports.js';
import { createS3ReportStore } from '../aws/report-store.js';
import { createSnsPublisher } from '../aws/sns-publisher.js';
import { DEFAULT_HTTP_TIMEOUTS } from '../aws/timeouts.js';
import { baselineFromText } from '../baseline/load.js';
import type { Baseline } from '../domain/baseline.js';
import { ConfigError } from '../errors.js';
import { createOrganizationFunctions, parseOrganizationConfig } from './organization.js';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'batch-iam-drift' });
const config = parseOrganizationConfig(process.env);
const home = config.regions[0] ?? 'us-east-1';
const timeouts = DEFAULT_HTTP_TIMEOUTS;
const bucket = process.env.REPORT_BUCKET?.trim();
if (!bucket) throw new ConfigError('REPORT_BUCKET is not set: name the bucket that keeps the reports.');
const s3 = createS3Client(home, timeouts);
const baselineUri = process.env.BASELINE_S3_URI?.trim();
if (baselineUri && !parseS3Uri(baselineUri))
  throw new ConfigError(`BASELINE_S3_URI "${baselineUri}" is not an s3 URI.`);
const readS3 = createS3TextReader(s3);
let bundled: Promise<Baseline> | undefined;

const functions = createOrganizationFunctions({
  config,
  caller: createStsIdentity(createStsClient(home, timeouts), process.env.AWS_ENDPOINT_URL),
  directory: createOrganizationDirectory(createOrganizationsClient(home, timeouts)),
  portsFor: (_account, roleArn) =>
    createAwsPorts({
      homeRegion: home,
      endpoint: process.env.AWS_ENDPOINT_URL,
      timeouts,
      ...(roleArn
        ? {
            credentials: assumedRoleCredentials({
              roleArn,
              externalId: process.env.MEMBER_EXTERNAL_ID?.trim() || undefined,
              region: home,
            }),
          }
        : {}),
    }),
  reports: createS3ReportStore(s3, bucket),
  publisher: createSnsPublisher((region) => createSnsClient(region, timeouts)),
  loadBaseline: () => {
    if (baselineUri) return readS3(baselineUri).then((text) => baselineFromText(text, baselineUri));
    bundled ??= Promise.resolve().then(() => baselineFromText(bundledBaseline, 'infra/baseline.yaml (bundled)'));
    return bundled;
  },
  logger,
});

/** The state machine's first Task: the accounts to audit and the run's id. */
export const listAccounts = () => functions.listAccounts();
/** The Distributed Map's Task: audits one account, keeps its report in the bucket. */
export const auditAccount = functions.auditAccount;
/** The last Task: one organisation report and one alert. */
export const aggregate = functions.aggregate;
