import { Topics, TopicKey, deadLetterTopicOf } from '@fg/contracts';

export interface MessagingOptions {
  /** This app's name: the CloudEvents source, the outbox origin and the consumer-group name root. */
  app: string;
  topicPrefix: string;
  maxRetries: number;
  outboxPollMs: number;
  /** How long handled message ids are remembered for dedupe. */
  inboxRetentionHours: number;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export class TopicNames {
  constructor(private readonly prefix: string) {}
  of(key: TopicKey): string {
    return `${this.prefix}${Topics[key].name}`;
  }
  group(consumer: string): string {
    return `${this.prefix}${consumer}`;
  }
  /** Every topic and its dead-letter topic, for creation at start-up. */
  all(): string[] {
    return (Object.keys(Topics) as TopicKey[]).flatMap((k) => [this.of(k), deadLetterTopicOf(this.of(k))]);
  }
}
