import { afterEach, describe, expect, it, vi } from 'vitest';
import { StepError } from '../../../shared/domain/errors.js';
import { type Level, createLogger, errorFields, levelFromEnv, setLogSink } from '../../../shared/log.js';

describe('levels', () => {
  const lines: { level: Level; line: string }[] = [];
  const previous = setLogSink((line, level) => lines.push({ level, line }));
  afterEach(() => {
    lines.length = 0;
  });

  it('writes each line at its level and drops those below the logger level', () => {
    const log = createLogger({ function: 'test' }, 'WARN');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => [l.level, JSON.parse(l.line).event])).toEqual([
      ['WARN', 'w'],
      ['ERROR', 'e'],
    ]);
    expect(log.debugging).toBe(false);
  });

  it('writes DEBUG lines, and says so, at DEBUG; children keep the level and add their fields', () => {
    const log = createLogger({ function: 'test' }, 'DEBUG').child({ jobId: 'j1' });
    log.debug('plan-inputs', { state: { a: 1 } });
    expect(log.debugging).toBe(true);
    expect(JSON.parse(lines[0]?.line ?? '{}')).toMatchObject({
      level: 'DEBUG',
      function: 'test',
      jobId: 'j1',
      event: 'plan-inputs',
      state: { a: 1 },
    });
  });

  it("takes the level from Lambda's AWS_LAMBDA_LOG_LEVEL first, then LOG_LEVEL, else INFO", () => {
    expect(levelFromEnv({ AWS_LAMBDA_LOG_LEVEL: 'DEBUG', LOG_LEVEL: 'ERROR' })).toBe('DEBUG');
    expect(levelFromEnv({ LOG_LEVEL: 'warn' })).toBe('WARN');
    expect(levelFromEnv({ AWS_LAMBDA_LOG_LEVEL: 'TRACE' })).toBe('DEBUG');
    expect(levelFromEnv({ LOG_LEVEL: 'chatty' })).toBe('INFO');
    expect(levelFromEnv({})).toBe('INFO');
  });

  it('goes out through the console method of its level by default', () => {
    setLogSink(previous);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    try {
      const log = createLogger({}, 'INFO');
      log.error('failed');
      log.info('fine');
      expect(error).toHaveBeenCalledTimes(1);
      expect(JSON.parse(String(error.mock.calls[0]?.[0]))).toMatchObject({ level: 'ERROR', event: 'failed' });
      expect(info).toHaveBeenCalledTimes(1);
    } finally {
      error.mockRestore();
      info.mockRestore();
      setLogSink((line, level) => lines.push({ level, line }));
    }
  });
});

describe('errorFields', () => {
  it('keeps the name, kind, message and stack of the error and of each cause', () => {
    const aws = Object.assign(new Error('not allowed'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const fields = errorFields(new StepError('attach the policy', aws));
    expect(fields).toMatchObject({
      name: 'StepError',
      kind: 'failed',
      message: 'step "attach the policy": not allowed',
      stack: expect.stringContaining('StepError'),
      causes: [{ name: 'AccessDenied', message: 'not allowed', httpStatus: 403, stack: expect.any(String) }],
    });
  });

  it('says what was thrown when it is not an Error', () => {
    expect(errorFields('boom')).toEqual({ message: 'boom' });
  });
});
