import { setMaxListeners } from 'node:events';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { runAudit } from '../app/run-audit.js';
import type { AlertPublisher } from '../aws/sns-publisher.js';
import type { Baseline } from '../domain/baseline.js';
import { atOrAbove, SEVERITIES, type Severity } from '../domain/model.js';
import { type Report, unauditedReport } from '../domain/report.js';
import { BatchIamDriftError } from '../errors.js';
import type { AuditPorts } from '../ports.js';
import { alertBytes, buildAlert } from '../render/alert.js';
import { TOOL } from '../version.js';
import type { LambdaConfig } from './config.js';
import { parseEvent } from './event.js';

/** What the handler returns: enough for `aws lambda invoke` and for a failure destination to read. */
export interface AuditSummary {
  readonly trigger: 'schedule' | 'on-demand';
  readonly account: string;
  readonly regions: readonly string[];
  readonly complete: boolean;
  readonly computeEnvironments: number;
  readonly roles: number;
  readonly findings: number;
  readonly bySeverity: Readonly<Record<Severity, number>>;
  readonly errors: number;
  readonly published: boolean;
  /** Why nothing was published, when nothing was. */
  readonly notPublishedBecause?: string;
  readonly messageId?: string;
  readonly messageBytes: number;
  readonly omittedFindings: number;
}

/** Everything the handler uses, built once per container by `main.ts` (tests build their own). */
export interface HandlerDeps {
  readonly config: LambdaConfig;
  readonly ports: AuditPorts;
  readonly publisher: AlertPublisher;
  /** The baseline for this run; rejects when it cannot be read or is invalid. */
  readonly loadBaseline: () => Promise<Baseline>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Raised into the audit's signal when the function is about to time out. */
export class DeadlineError extends BatchIamDriftError {
  public override readonly name = 'DeadlineError';
}

/** The baseline could not be read or is invalid: the run alerts and fails instead of auditing against the defaults. */
export class BaselineUnusableError extends BatchIamDriftError {
  public override readonly name = 'BaselineUnusableError';
}

const shouldPublish = (report: Report, config: LambdaConfig, minSeverity: Severity): string | undefined => {
  if (config.alertMode === 'always') return undefined;
  if (!report.complete) return undefined;
  if (report.findings.some((f) => atOrAbove(f.severity, minSeverity))) return undefined;
  return `no finding at or above ${minSeverity} and ALERT_MODE is findings`;
};

const METRIC_NAMES: Record<Severity, string> = {
  critical: 'FindingsCritical',
  high: 'FindingsHigh',
  medium: 'FindingsMedium',
  low: 'FindingsLow',
  info: 'FindingsInfo',
};

/**
 * The scheduled and on-demand audit: parse the event, run the audit with a deadline ahead of the
 * Lambda timeout, publish one SNS alert, record metrics. A malformed event throws before any audit;
 * a failed publish throws so Lambda's retries and failure destination see it.
 */
export const createHandler = (deps: HandlerDeps) => {
  const { config, logger, metrics } = deps;
  const source = config.baselineS3Uri ?? 'the bundled baseline';

  /** Loads the baseline; when it is unusable, publishes an alert saying the audit did not run (unless dry run), then fails. */
  const loadOrAlert = async (regions: readonly string[], dryRun: boolean): Promise<Baseline> => {
    try {
      return await deps.loadBaseline();
    } catch (error) {
      const cause = error as Error;
      logger.error('baseline unusable', { source, error: cause });
      metrics.addMetric('AuditErrors', MetricUnit.Count, 1);
      const identity = await deps.ports.identity.whoAmI().catch((whoAmIError: unknown) => {
        // No account to alert about: fail with both causes, so the errors alarm and the failure queue see it.
        throw new BaselineUnusableError(
          `The baseline ${source} could not be used (${cause.message}), and the account could not be established to alert about it: ${(whoAmIError as Error).message}`,
          { cause: error },
        );
      });
      const report = unauditedReport(
        TOOL,
        identity.account,
        regions,
        {
          operation: config.baselineS3Uri ? 's3:GetObject' : 'baseline:Load',
          resource: { type: 'baseline', name: source },
          code: cause.name,
          message: `No audit ran: the baseline could not be used. ${cause.message}`.slice(0, 4000),
        },
        new Date(),
      );
      if (!dryRun)
        await deps.publisher.publish(config.topicArn, buildAlert(report, { minSeverity: config.minSeverity }));
      throw new BaselineUnusableError(`The baseline ${source} could not be used; no audit ran: ${cause.message}`, {
        cause: error,
      });
    }
  };

  /**
   * Publishes "no audit ran" for a run that could not start. The account comes from the function's own
   * ARN, so this works when STS cannot be reached or the deadline fired during the identity call.
   */
  const alertNoAudit = async (error: unknown, context: Context, regions: readonly string[], dryRun: boolean) => {
    const cause = error as { name?: string; message?: string };
    const reason = whyNoAudit(cause);
    logger.error('no audit ran', { error: error as Error });
    metrics.addMetric('AuditErrors', MetricUnit.Count, 1);
    const account = context.invokedFunctionArn?.split(':')[4] ?? 'unknown';
    const report = unauditedReport(
      TOOL,
      account,
      regions,
      {
        operation: 'sts:GetCallerIdentity',
        resource: { type: 'account', name: account },
        code: cause.name ?? 'UnknownError',
        message: `No audit ran: ${reason}`.slice(0, 4000),
      },
      new Date(),
    );
    if (dryRun) return;
    try {
      await deps.publisher.publish(config.topicArn, buildAlert(report, { minSeverity: config.minSeverity }));
    } catch (publishError) {
      logger.error('publish failed', { topicArn: config.topicArn, error: publishError as Error });
    }
  };

  /** Why a run could not start, in words for the alert. */
  const whyNoAudit = (cause: { name?: string; message?: string }): string =>
    cause.name === 'DeadlineError' || cause.name === 'AbortError'
      ? `the deadline (${config.reserveMs / 1000} s before the Lambda timeout) was reached before the AWS identity was established. Raise the function's timeout or lower DEADLINE_RESERVE_SECONDS.`
      : `the audit could not start: ${cause.message ?? 'unknown error'}`;

  const audit = async (event: unknown, context: Context): Promise<AuditSummary> => {
    const request = parseEvent(event, { regions: config.regions, minSeverity: config.minSeverity });
    logger.info('audit started', { trigger: request.trigger, regions: request.regions, dryRun: request.dryRun });
    const baseline = await loadOrAlert(request.regions, request.dryRun);

    const controller = new AbortController();
    // Every request in flight listens to the deadline; more than Node's default of 10 is expected.
    setMaxListeners(0, controller.signal);
    const budget = context.getRemainingTimeInMillis() - config.reserveMs;
    const timer = setTimeout(
      () =>
        controller.abort(new DeadlineError(`stopped reading ${config.reserveMs / 1000} s before the Lambda timeout`)),
      Math.max(0, budget),
    );
    const started = Date.now();
    let report: Report;
    try {
      report = await runAudit(deps.ports, {
        regions: request.regions,
        baseline,
        signal: controller.signal,
        ...(request.computeEnvironments ? { computeEnvironments: request.computeEnvironments } : {}),
        onProgress: (message) => logger.debug(message),
      });
    } catch (error) {
      // The audit could not start (the identity call failed or the deadline came first): say so, then fail.
      await alertNoAudit(error, context, request.regions, request.dryRun);
      throw error;
    } finally {
      clearTimeout(timer);
    }

    for (const severity of SEVERITIES) {
      metrics.addMetric(METRIC_NAMES[severity], MetricUnit.Count, report.summary.bySeverity[severity]);
    }
    metrics.addMetric('AuditRuns', MetricUnit.Count, 1);
    metrics.addMetric('RolesAudited', MetricUnit.Count, report.summary.roles);
    metrics.addMetric('ComputeEnvironmentsAudited', MetricUnit.Count, report.summary.computeEnvironments);
    metrics.addMetric('AuditErrors', MetricUnit.Count, report.errors.length);
    metrics.addMetric('AuditDuration', MetricUnit.Milliseconds, Date.now() - started);
    for (const error of report.errors) logger.warn('could not read', { ...error });

    const alert = buildAlert(report, { minSeverity: request.minSeverity });
    const skip = request.dryRun ? 'dryRun' : shouldPublish(report, config, request.minSeverity);
    let messageId: string | undefined;
    if (skip === undefined) {
      try {
        messageId = await deps.publisher.publish(config.topicArn, alert);
      } catch (error) {
        logger.error('publish failed', { topicArn: config.topicArn, error: error as Error });
        throw new BatchIamDriftError(`Could not publish the alert to ${config.topicArn}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    metrics.addMetric('AlertsPublished', MetricUnit.Count, messageId === undefined ? 0 : 1);
    const summary: AuditSummary = {
      trigger: request.trigger,
      account: report.account,
      regions: report.regions,
      complete: report.complete,
      computeEnvironments: report.summary.computeEnvironments,
      roles: report.summary.roles,
      findings: report.summary.findings,
      bySeverity: report.summary.bySeverity,
      errors: report.errors.length,
      published: messageId !== undefined,
      ...(skip === undefined ? {} : { notPublishedBecause: skip }),
      ...(messageId === undefined ? {} : { messageId }),
      messageBytes: alertBytes(alert),
      omittedFindings: alert.omittedFindings,
    };
    logger.info('audit finished', { ...summary });
    return summary;
  };
  return middy(audit)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
};
