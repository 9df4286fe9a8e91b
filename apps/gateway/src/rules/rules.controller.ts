import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { ZodPipe } from '@fg/platform';
import { RuleDefinition, ruleDefinition } from '@fg/rules-core';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { Principal } from '../auth/api-key.service';
import { RequireAccess, target } from '../auth/permissions';
import {
  DryRunRequest,
  EvaluationsQuery,
  RulesAdminService,
  dryRunRequest,
  evaluationsQuery,
} from './rules-admin.service';

const ruleId = new ZodPipe(z.string().uuid('rule ids are UUIDs'));
const versionNo = new ZodPipe(z.coerce.number().int().positive('versions are positive integers'));
const by = (req: Request & { principal?: Principal }): Principal => req.principal!;

const example = {
  name: 'Survey resolved cases',
  trigger: 'case.updated',
  conditions: { all: [{ field: 'status', op: 'changed_to', value: 'Resolved' }] },
  actions: [
    {
      type: 'send_invitation',
      distributionId: '00000000-0000-4000-8000-000000000000',
      channel: 'email',
      linkField: 'survey_link',
    },
  ],
};

@ApiTags('rules')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops/rules')
export class RulesController {
  constructor(private readonly rules: RulesAdminService) {}

  @Get()
  @RequireAccess('rules:configure', 'filtered')
  @ApiOperation({ summary: 'List rules (current versions) the key may see' })
  list(@Req() req: Request) {
    return this.rules.list(by(req));
  }

  @Post()
  @RequireAccess('rules:configure', [target.ruleDefinition('body.*')])
  @ApiOperation({ summary: 'Create a rule; validated on save, errors name the offending part' })
  @ApiBody({ schema: { example } })
  create(@Body(new ZodPipe(ruleDefinition)) def: RuleDefinition, @Req() req: Request) {
    return this.rules.create(def, by(req));
  }

  @Get(':id')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @ApiOperation({ summary: 'A rule with its version history' })
  get(@Param('id', ruleId) id: string) {
    return this.rules.get(id);
  }

  @Put(':id')
  @RequireAccess('rules:configure', [target.rule('params.id'), target.ruleDefinition('body.*')])
  @ApiOperation({ summary: 'Replace a rule; saves a new version (evaluations already running keep theirs)' })
  @ApiBody({ schema: { example } })
  update(
    @Param('id', ruleId) id: string,
    @Body(new ZodPipe(ruleDefinition)) def: RuleDefinition,
    @Req() req: Request,
  ) {
    return this.rules.update(id, def, by(req));
  }

  @Get(':id/versions/:version')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @ApiOperation({ summary: 'One saved version of a rule, as it was saved' })
  version(@Param('id', ruleId) id: string, @Param('version', versionNo) version: number) {
    return this.rules.version(id, version);
  }

  @Post(':id/enable')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @HttpCode(200)
  enable(@Param('id', ruleId) id: string, @Req() req: Request) {
    return this.rules.setEnabled(id, true, by(req));
  }

  @Post(':id/disable')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @HttpCode(200)
  disable(@Param('id', ruleId) id: string, @Req() req: Request) {
    return this.rules.setEnabled(id, false, by(req));
  }

  @Post(':id/dry-run')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @HttpCode(200)
  @ApiOperation({
    summary: 'Evaluate the rule against a sample case event; returns the trace, changes nothing',
  })
  @ApiBody({
    schema: {
      example: { case: { caseId: 'CASE-1', fields: { status: 'Resolved' }, previous: { status: 'Open' } } },
    },
  })
  dryRun(@Param('id', ruleId) id: string, @Body(new ZodPipe(dryRunRequest)) body: DryRunRequest) {
    return this.rules.dryRun(id, body);
  }
}

@ApiTags('rules')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops/rule-evaluations')
export class RuleEvaluationsController {
  constructor(private readonly rules: RulesAdminService) {}

  @Get()
  @RequireAccess('rules:configure', 'filtered')
  @ApiOperation({
    summary:
      'The evaluation trace: rule and version, each condition with the values it saw, each action and its outcome',
  })
  @ApiQuery({ name: 'caseId', required: false })
  @ApiQuery({ name: 'ruleId', required: false })
  @ApiQuery({ name: 'matched', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'limit', required: false })
  list(@Query(new ZodPipe(evaluationsQuery)) q: EvaluationsQuery, @Req() req: Request) {
    return this.rules.evaluations(q, by(req));
  }
}
