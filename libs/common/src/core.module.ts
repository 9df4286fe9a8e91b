import { Controller, DynamicModule, Get, Global, Header, Inject, Module, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Clock, SystemClock } from './clock';
import { APP_CONFIG, AppConfig } from './config';
import { Metrics } from './metrics';

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    private readonly metrics: Metrics,
  ) {}

  /** Liveness and readiness: the database answers. */
  @Get('health')
  async health(@Res() res: Response) {
    try {
      await this.ds.query('SELECT 1');
      res.status(200).json({ status: 'ok', database: 'up' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'down' });
    }
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

export interface CoreModuleOptions {
  app: string;
  config: AppConfig;
  clock?: Clock;
}

/** Config, clock, metrics and the health/metrics endpoints every app has. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(o: CoreModuleOptions): DynamicModule {
    return {
      module: CoreModule,
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: o.config },
        { provide: Clock, useValue: o.clock ?? new SystemClock() },
        { provide: Metrics, useValue: new Metrics(o.app) },
      ],
      exports: [APP_CONFIG, Clock, Metrics],
    };
  }
}

export const InjectConfig = () => Inject(APP_CONFIG);
