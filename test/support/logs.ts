// A logger that keeps every line it is given (every level), for tests that read the logs.
import { createLogger, type Logger } from '../../src/observability/logger.ts';

export type CapturedLogs = { logger: Logger; lines: string[]; records(): Record<string, any>[] };

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  // The service's own logger (its redaction included), at the most verbose level.
  const logger = createLogger({ mode: 'production', level: 'trace', destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line)) };
}

