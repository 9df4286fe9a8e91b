import {
  Controller,
  DynamicModule,
  Get,
  Global,
  Header,
  Inject,
  Module,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { LoggerModule } from 'nestjs-pino';
import { Clock, SystemClock } from './clock';
import { APP_CONFIG, AppConfig } from './config';
import { Metrics } from './metrics';
import { AppLogger, LogLevel, accessLogOptions, createLogger } from './logger';
import { CheckResult, HealthChecks, within } from './health';

/**
 * Health as orchestrators probe it (@nestjs/terminus): `/health/live` answers while the process runs;
 * `/health/ready` (and `/health`) checks the database and every registered check (the broker, consumer lag,
 * outbox lag) and is 503 while a check is down or the app is stopping.
 */
@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    private readonly metrics: Metrics,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly checks: HealthChecks,
  ) {}

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get(['health', 'health/ready'])
  async ready(@Res() res: Response) {
    const report = async (name: string, run: () => Promise<CheckResult>) => {
      const { status, ...data } = await within(
        run().catch((e: unknown): CheckResult => ({ status: 'down', message: (e as Error).message })),
        CHECK_TIMEOUT_MS,
        (): CheckResult => ({ status: 'down', message: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
      );
      const session = this.indicators.check(name);
      // Degraded is reported (`degraded: true`) but keeps the app ready.
      return status === 'down'
        ? session.down(data)
        : session.up(status === 'degraded' ? { ...data, degraded: true } : data);
    };
    try {
      const result = await this.health.check([
        () =>
          this.checks.shuttingDown
            ? this.indicators.check('lifecycle').down({ message: 'shutting down' })
            : this.indicators.check('lifecycle').up(),
        () => report('database', async () => (await this.ds.query('SELECT 1'), { status: 'up' })),
        ...this.checks.entries().map(
          ([name, run]) =>
            () =>
              report(name, run),
        ),
      ]);
      res.status(200).json(result);
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e;
      res.status(503).json(e.getResponse());
    }
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

/** A readiness check that takes longer than this is down (probes time out after a few seconds). */
const CHECK_TIMEOUT_MS = 2_000;

export interface CoreModuleOptions {
  app: string;
  config: AppConfig;
  clock?: Clock;
  /** The tests' apps log nothing unless asked (`silent`); otherwise LOG_LEVEL. */
  logLevel?: LogLevel;
}

/** Config, clock, metrics and the health/metrics endpoints every app has. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(o: CoreModuleOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRoot({
          pinoHttp: accessLogOptions(
            createLogger(o.app, o.logLevel ?? o.config.LOG_LEVEL, o.config.LOG_FORMAT),
          ),
        }),
      ],
      controllers: [HealthController],
      providers: [
        AppLogger,
        HealthChecks,
        { provide: APP_CONFIG, useValue: o.config },
        { provide: Clock, useValue: o.clock ?? new SystemClock() },
        { provide: Metrics, useValue: new Metrics(o.app) },
      ],
      exports: [APP_CONFIG, Clock, Metrics, AppLogger, HealthChecks],
    };
  }
}

export const InjectConfig = () => Inject(APP_CONFIG);
