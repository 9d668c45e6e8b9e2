// The public API of the strangerchat package (embedding, tests, the CLI).
export { createServer, type RunningServer, type ServerDeps } from './app.ts';
export { loadConfig, makeConfig, parseSettings, ConfigError, InstanceSettings, type ServerConfig } from './config.ts';
export { openDatabase, type Db } from './db/database.ts';
export { migrateToLatest, pendingMigrations } from './db/migrate.ts';
export { createLogger, silentLogger, type Logger } from './logger.ts';
export * from './protocol/index.ts';
