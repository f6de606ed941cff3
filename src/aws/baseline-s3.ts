import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseS3Uri } from '../arns.js';

/** Actions this adapter calls: s3:GetObject on the baseline object only (serverless.yml scopes it). */
export const BASELINE_READER_PERMISSIONS = ['s3:GetObject'] as const;

/** Reads a baseline file's text from S3 on every call, so a team can change it without redeploying. */
export const createS3TextReader =
  (s3: S3Client) =>
  async (uri: string): Promise<string> => {
    const location = parseS3Uri(uri);
    if (!location) throw new Error(`${uri} is not an s3://bucket/key URI`);
    const out = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    if (!out.Body) throw new Error(`${uri} has no content`);
    return out.Body.transformToString('utf-8');
  };
