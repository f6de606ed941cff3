import { setMaxListeners } from 'node:events';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import {
  commitLifecycle,
  idsOf,
  importChanges,
  type LifecycleOptions,
  newRunId,
  reportKeys,
  type TrackedRun,
  trackFindings,
} from '../app/lifecycle.js';
import { runAudit } from '../app/run-audit.js';
import type { AlertPublisher } from '../aws/sns-publisher.js';
import type { Baseline } from '../domain/baseline.js';
import { announce, isDigestDay } from '../domain/lifecycle.js';
import { type AuditError, atOrAbove, SEVERITIES, type Severity } from '../domain/model.js';
import { type Report, unauditedReport } from '../domain/report.js';
import { awsErrorCode, cleanMessage } from '../error-codes.js';
import { BatchIamDriftError } from '../errors.js';
import type { AuditPorts, FindingStateStore, FindingsHub, ReportStore } from '../ports.js';
import { alertBytes, asciiSubject, buildAlert, buildChangesAlert } from '../render/alert.js';
import { renderHtml } from '../render/html.js';
import { renderText } from '../render/text.js';
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
  /** With a state table: the run's id and what changed. */
  readonly runId?: string;
  readonly changes?: { readonly new: number; readonly ongoing: number; readonly resolved: number };
  /** Where the report is kept, when reports are kept. */
  readonly reportLocation?: string;
  /** On demand: the report itself, when it fits the Lambda response limit (else read it at `reportLocation`). */
  readonly report?: Report;
  /** On demand: why the report is not in the response. */
  readonly reportOmittedBecause?: string;
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
  /** The finding lifecycle (`STATE_TABLE`). */
  readonly stateStore?: FindingStateStore;
  /** Where every run's report is kept (`REPORT_BUCKET`). */
  readonly reportStore?: ReportStore;
  /** AWS Security Hub (`SECURITY_HUB=true`). */
  readonly findingsHub?: FindingsHub;
}

/**
 * The most an on-demand response carries inline: Lambda's synchronous response limit is 6 MB, and the
 * summary around the report needs room.
 */
export const MAX_INLINE_REPORT_BYTES = 5_500_000;

/** Adds errors met after the audit (storing, importing, writing state): the report is then incomplete. */
const withErrors = (report: Report, errors: readonly AuditError[]): Report =>
  errors.length === 0 ? report : { ...report, complete: false, errors: [...report.errors, ...errors] };

const describe = (error: unknown) => ({
  code: awsErrorCode(error as Error),
  message: cleanMessage((error as Error).message ?? String(error)).slice(0, 4000),
});

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

    const runId = newRunId(new Date(report.startedAt), context.awsRequestId?.replace(/-/g, '').slice(0, 8));
    const lifecycle: LifecycleOptions | undefined = deps.stateStore
      ? {
          store: deps.stateStore,
          runId,
          wholeAccount: request.computeEnvironments === undefined,
          retentionDays: config.retentionDays,
          now: () => new Date(),
        }
      : undefined;
    const tracked: TrackedRun = lifecycle ? await trackFindings(report, lifecycle) : { report };
    report = tracked.report;
    const write = !request.dryRun;

    // Security Hub hears of changes before the alert goes out, so that a refused finding is in the alert.
    let importedToHub = new Set<string>();
    if (deps.findingsHub && write) {
      const out = await importChanges(deps.findingsHub, tracked, {
        partition: context.invokedFunctionArn?.split(':')[1] || 'aws',
        region: config.homeRegion,
        version: TOOL.version,
        now: new Date(),
      });
      importedToHub = out.imported;
      metrics.addMetric('SecurityHubImportFailures', MetricUnit.Count, out.errors.length);
      report = withErrors(report, out.errors);
    }

    // The dated report is stored before the alert names it.
    const keys = deps.reportStore && write ? reportKeys(report.account, runId, report.startedAt) : undefined;
    const store = async (r: Report): Promise<AuditError[]> => {
      if (!deps.reportStore || !keys) return [];
      try {
        await deps.reportStore.put(keys.json, `${JSON.stringify(r, null, 2)}\n`);
        await deps.reportStore.put(keys.text, renderText(r), undefined, 'text/plain; charset=utf-8');
        await deps.reportStore.put(keys.html, renderHtml(r), undefined, 'text/html; charset=utf-8');
        return [];
      } catch (error) {
        logger.error('report not stored', { key: keys.json, error: error as Error });
        metrics.addMetric('ReportStoreFailures', MetricUnit.Count, 1);
        return [
          {
            operation: 's3:PutObject',
            resource: { type: 'report-store', name: deps.reportStore.location(keys.json) },
            ...describe(error),
          },
        ];
      }
    };
    if (deps.reportStore && keys) report = { ...report, reportLocation: deps.reportStore.location(keys.json) };
    const storeErrors = await store(report);
    report = withErrors(report, storeErrors);

    const announcement =
      config.alertMode === 'changes' && tracked.reconciled
        ? announce(
            report,
            tracked.reconciled.changes,
            request.minSeverity,
            request.trigger === 'schedule' &&
              config.digestWeekday !== undefined &&
              isDigestDay({ weekday: config.digestWeekday }, new Date()),
          )
        : undefined;
    const alert = announcement
      ? buildChangesAlert(report, announcement, request.minSeverity)
      : buildAlert(report, { minSeverity: request.minSeverity });
    const skip = request.dryRun
      ? 'dryRun'
      : announcement
        ? announcement.due
          ? undefined
          : 'nothing changed at or above the threshold and ALERT_MODE is changes'
        : shouldPublish(report, config, request.minSeverity);
    let messageId: string | undefined;
    if (skip === undefined) {
      try {
        messageId = await deps.publisher.publish(config.topicArn, alert);
      } catch (error) {
        logger.error('publish failed', { topicArn: config.topicArn, error: error as Error });
        // The state is not written: the next run (or Lambda's retry) sees the same changes and announces them.
        throw new BatchIamDriftError(`Could not publish the alert to ${config.topicArn}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    metrics.addMetric('AlertsPublished', MetricUnit.Count, messageId === undefined ? 0 : 1);

    if (lifecycle && write) {
      const announced =
        messageId === undefined
          ? new Set<string>()
          : announcement
            ? new Set([
                ...announcement.findingIds,
                ...idsOf(announcement.resolved),
                ...idsOf(announcement.waiversExpiring),
              ])
            : new Set(report.findings.filter((f) => atOrAbove(f.severity, request.minSeverity)).map((f) => f.id));
      const outcome = await commitLifecycle(tracked, lifecycle, {
        alerted: announced,
        importedToHub,
        at: new Date().toISOString(),
      });
      metrics.addMetric('StateWriteFailures', MetricUnit.Count, outcome.errors.length);
      if (outcome.errors.length > 0) {
        logger.error('state not written', { errors: outcome.errors });
        report = withErrors(report, outcome.errors);
        // Said at once, not left for the next run to discover as a storm of "new" findings.
        const notice: Report = { ...report, findings: [], waived: [], errors: outcome.errors };
        try {
          const alert = buildAlert(notice, {
            minSeverity: request.minSeverity,
            notes: [
              'The finding state could not be written after this run. The next run may announce these findings again as new; the report lists them all.',
            ],
          });
          await deps.publisher.publish(config.topicArn, {
            ...alert,
            subject: asciiSubject(`[batch-iam-drift] STATE NOT SAVED in ${report.account}: ${outcome.errors[0]?.code}`),
          });
        } catch (error) {
          logger.error('publish failed', { topicArn: config.topicArn, error: error as Error });
        }
        report = withErrors(report, await store(report));
      }
    }
    // latest.json is written last: a reader of it never sees a run that is not finished.
    if (deps.reportStore && keys) {
      try {
        await deps.reportStore.put(keys.latest, `${JSON.stringify(report, null, 2)}\n`);
      } catch (error) {
        logger.error('latest report not stored', { key: keys.latest, error: error as Error });
        metrics.addMetric('ReportStoreFailures', MetricUnit.Count, 1);
      }
    }

    const inline =
      request.trigger === 'on-demand' ? Buffer.byteLength(JSON.stringify(report)) <= MAX_INLINE_REPORT_BYTES : false;
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
      ...(report.lifecycle
        ? {
            runId,
            changes: {
              new: report.lifecycle.summary.new,
              ongoing: report.lifecycle.summary.ongoing,
              resolved: report.lifecycle.summary.resolved,
            },
          }
        : {}),
      ...(report.reportLocation ? { reportLocation: report.reportLocation } : {}),
      ...(request.trigger === 'on-demand'
        ? inline
          ? { report }
          : {
              reportOmittedBecause: `the report is over ${MAX_INLINE_REPORT_BYTES} bytes, too large for a Lambda response${report.reportLocation ? `: read it at ${report.reportLocation}` : '; set REPORT_BUCKET to keep it in S3'}`,
            }
        : {}),
    };
    logger.info('audit finished', { ...summary });
    return summary;
  };
  return middy(audit)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
};
