import { ConsoleLogger, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ALL_IN_ONE, type AllInOneOptions } from './all-in-one.options';

/**
 * Puts the application's log levels back once every service module is initialised. The policy
 * engine builds its OpenAPI document in a preview Nest application created with `logger: false`,
 * and Nest applies a factory's logger option process-wide (Logger.overrideLogger): every log line
 * after it — a policy file that does not load, a store that is away — would vanish. The root
 * module's onModuleInit runs after its imports' and before any onApplicationBootstrap.
 */
@Injectable()
export class LoggerRestore implements OnModuleInit {
  constructor(@Inject(ALL_IN_ONE) private readonly options: AllInOneOptions) {}

  onModuleInit(): void {
    const levels = this.options.logLevels;
    if (levels === false) return Logger.overrideLogger(false);
    // `false` dropped the logger itself, not only its levels: a new console logger, then the levels.
    Logger.overrideLogger(new ConsoleLogger());
    Logger.overrideLogger(levels);
  }
}
