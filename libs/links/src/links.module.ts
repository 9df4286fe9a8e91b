import { Module } from '@nestjs/common';
import { LinkIssuer } from './link-issuer.service';

@Module({ providers: [LinkIssuer], exports: [LinkIssuer] })
export class LinksModule {}
