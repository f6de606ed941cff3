import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ReportStore } from '../ports.js';

/** S3 actions the report store calls: writing reports, and reading them back to aggregate a run. */
export const REPORT_STORE_PERMISSIONS = ['s3:PutObject', 's3:GetObject'] as const;

/** What a writer of reports alone needs. */
export const REPORT_WRITER_PERMISSIONS = ['s3:PutObject'] as const;

/** Keeps reports as JSON objects in one bucket. */
export const createS3ReportStore = (s3: S3Client, bucket: string): ReportStore => ({
  location: (key) => `s3://${bucket}/${key}`,
  async put(key, text, signal, contentType = 'application/json') {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: contentType }),
      signal ? { abortSignal: signal } : {},
    );
  },
  async get(key, signal) {
    const out = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
      signal ? { abortSignal: signal } : {},
    );
    return (await out.Body?.transformToString('utf8')) ?? '';
  },
});
