const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** True when `value` is an SNS topic ARN (`arn:aws:sns:REGION:ACCOUNT:NAME`). */
export const isTopicArn = (value: string): boolean => TOPIC_ARN.test(value);

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

/** Splits an `s3://bucket/key` URI; undefined when it is not one. */
export const parseS3Uri = (value: string): { bucket: string; key: string } | undefined => {
  const [, bucket, key] = S3_URI.exec(value) ?? [];
  return bucket && key ? { bucket, key } : undefined;
};
