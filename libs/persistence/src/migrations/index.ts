import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { RuleEngine1763990000000 } from './1763990000000-rule-engine';
import { Channels1764000000000 } from './1764000000000-channels';
import { LinksAndResponses1764100000000 } from './1764100000000-links-and-responses';
import { ApiKeysAndAccess1764200000000 } from './1764200000000-api-keys-and-access';
import { ResponsesOnePath1764300000000 } from './1764300000000-responses-one-path';
import { OneLinkIssuer1764400000000 } from './1764400000000-one-link-issuer';
import { OwnerIndexes1764500000000 } from './1764500000000-owner-indexes';
import { DeliveryGuarantees1764600000000 } from './1764600000000-delivery-guarantees';
import { SendWindows1764700000000 } from './1764700000000-send-windows';
import { OutboundWebhooks1764800000000 } from './1764800000000-outbound-webhooks';
import { AbuseLimits1764900000000 } from './1764900000000-abuse-limits';
import { HotUpdates1765000000000 } from './1765000000000-hot-updates';
import { ReferenceNotify1765100000000 } from './1765100000000-reference-notify';
import { Funnel1765200000000 } from './1765200000000-funnel';
import { SandboxReceipts1765300000000 } from './1765300000000-sandbox-receipts';
import { OneAnswerPerCase1765400000000 } from './1765400000000-one-answer-per-case';
import { Branding1765500000000 } from './1765500000000-branding';

/** In order. Never edit a released migration: add a new one. */
export const MIGRATIONS = [
  InitialSchema1763900000000,
  RuleEngine1763990000000,
  Channels1764000000000,
  LinksAndResponses1764100000000,
  ApiKeysAndAccess1764200000000,
  ResponsesOnePath1764300000000,
  OneLinkIssuer1764400000000,
  OwnerIndexes1764500000000,
  DeliveryGuarantees1764600000000,
  SendWindows1764700000000,
  OutboundWebhooks1764800000000,
  AbuseLimits1764900000000,
  HotUpdates1765000000000,
  ReferenceNotify1765100000000,
  Funnel1765200000000,
  SandboxReceipts1765300000000,
  OneAnswerPerCase1765400000000,
  Branding1765500000000,
];
