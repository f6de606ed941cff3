const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** True when `value` is an SNS topic ARN (`arn:aws:sns:REGION:ACCOUNT:NAME`). */
export const isTopicArn = (value: string): boolean => TOPIC_ARN.test(value);
