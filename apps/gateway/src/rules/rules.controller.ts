import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { ApiContract, ZodPipe } from '@fg/platform';
import { RuleDefinition } from '@fg/rules-core';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { Principal } from '../auth/api-key.service';
import { RequireAccess, target } from '../auth/permissions';
import { DryRunRequest, EvaluationsQuery, RulesAdminService } from './rules-admin.service';
import {
  dryRunInput,
  dryRunResult,
  evaluationsQuery,
  ruleEvaluationList,
  ruleInput,
  ruleList,
  ruleVersion,
  ruleWithVersions,
} from './rules.schemas';

const id = z.string().uuid('rule ids are UUIDs');
const versionNumber = z.coerce.number().int().positive('versions are positive integers');
const ruleId = new ZodPipe(id);
const versionNo = new ZodPipe(versionNumber);
const evaluations = new ZodPipe(evaluationsQuery);
const by = (req: Request & { principal?: Principal }): Principal => req.principal!;

@ApiTags('rules')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops/rules')
export class RulesController {
  constructor(private readonly rules: RulesAdminService) {}

  @Get()
  @RequireAccess('rules:configure', 'filtered')
  @ApiContract({
    summary: 'List rules (current versions) the key may see',
    response: { status: 200, schema: ruleList },
    errors: [401, 403],
  })
  list(@Req() req: Request) {
    return this.rules.list(by(req));
  }

  @Post()
  @RequireAccess('rules:configure', [target.ruleDefinition('body.*')])
  @ApiContract({
    summary: 'Create a rule; validated on save, errors name the offending part',
    body: ruleInput,
    response: { status: 201, schema: ruleWithVersions },
    errors: [401, 403],
  })
  create(@Body(new ZodPipe(ruleInput)) def: RuleDefinition, @Req() req: Request) {
    return this.rules.create(def, by(req));
  }

  @Get(':id')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @ApiContract({
    summary: 'A rule with its version history',
    params: { id },
    response: { status: 200, schema: ruleWithVersions },
    errors: [401, 403, 404],
  })
  get(@Param('id', ruleId) id: string) {
    return this.rules.get(id);
  }

  @Put(':id')
  @RequireAccess('rules:configure', [target.rule('params.id'), target.ruleDefinition('body.*')])
  @ApiContract({
    summary: 'Replace a rule; saves a new version (evaluations already running keep theirs)',
    params: { id },
    body: ruleInput,
    response: { status: 200, schema: ruleWithVersions },
    errors: [401, 403, 404],
  })
  update(
    @Param('id', ruleId) id: string,
    @Body(new ZodPipe(ruleInput)) def: RuleDefinition,
    @Req() req: Request,
  ) {
    return this.rules.update(id, def, by(req));
  }

  @Get(':id/versions/:version')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @ApiContract({
    summary: 'One saved version of a rule, as it was saved',
    params: { id, version: versionNumber },
    response: { status: 200, schema: ruleVersion },
    errors: [401, 403, 404],
  })
  version(@Param('id', ruleId) id: string, @Param('version', versionNo) version: number) {
    return this.rules.version(id, version);
  }

  @Post(':id/enable')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @HttpCode(200)
  @ApiContract({
    summary: 'Enable a rule (saves a new version)',
    params: { id },
    response: { status: 200, schema: ruleWithVersions },
    errors: [401, 403, 404],
  })
  enable(@Param('id', ruleId) id: string, @Req() req: Request) {
    return this.rules.setEnabled(id, true, by(req));
  }

  @Post(':id/disable')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @HttpCode(200)
  @ApiContract({
    summary: 'Disable a rule (saves a new version); it stops firing at once',
    params: { id },
    response: { status: 200, schema: ruleWithVersions },
    errors: [401, 403, 404],
  })
  disable(@Param('id', ruleId) id: string, @Req() req: Request) {
    return this.rules.setEnabled(id, false, by(req));
  }

  @Post(':id/dry-run')
  @RequireAccess('rules:configure', [target.rule('params.id')])
  @HttpCode(200)
  @ApiContract({
    summary: 'Evaluate the rule against a sample case event; returns the trace, changes nothing',
    params: { id },
    body: dryRunInput,
    response: { status: 200, schema: dryRunResult },
    errors: [401, 403, 404],
  })
  dryRun(@Param('id', ruleId) id: string, @Body(new ZodPipe(dryRunInput)) body: DryRunRequest) {
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
  @ApiContract({
    summary:
      'The evaluation trace: rule and version, each condition with the values it saw, each action and its outcome',
    query: evaluationsQuery,
    response: { status: 200, schema: ruleEvaluationList },
    errors: [401, 403],
  })
  list(@Query(evaluations) q: EvaluationsQuery, @Req() req: Request) {
    return this.rules.evaluations(q, by(req));
  }
}
