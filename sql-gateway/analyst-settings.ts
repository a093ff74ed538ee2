import { ClickHouseHttpError } from './errors.ts';

/** What one analyst query may cost; enforced by the engine, and the output size by the endpoint as it streams. */
export interface AnalystLimits {
  readonly maxExecutionSeconds: number;
  readonly maxMemoryBytes: number;
  readonly maxResultRows: number;
  /** Bytes of output sent to the client, counted exactly as they stream. */
  readonly maxResultBytes: number;
  readonly maxThreads: number;
}

export const defaultAnalystLimits: AnalystLimits = {
  maxExecutionSeconds: 30,
  maxMemoryBytes: 1_000_000_000,
  maxResultRows: 1_000_000,
  maxResultBytes: 200_000_000,
  maxThreads: 2,
};

type Check = (value: string) => boolean;
const bool: Check = (v) => v === '0' || v === '1' || v === 'true' || v === 'false';
const oneOf = (...values: string[]): Check => (v) => values.includes(v);
const intIn = (min: number, max: number): Check => (v) => /^\d{1,9}$/.test(v) && Number(v) >= min && Number(v) <= max;
/** One printable ASCII character that is not a quote or a backslash. */
const delimiter: Check = (v) => /^[\x20-\x7e]$/.test(v) && !`'"\\`.includes(v);

/**
 * Output settings an analyst's tool may choose, each with the only values it
 * may take. None names a path, a URL, a limit or the session; every other
 * setting is refused. The engine enforces the same: analyst sessions run with
 * `readonly=1`, so a setting reaches the engine only through this list.
 */
const outputSettings: Readonly<Record<string, Check>> = {
  date_time_output_format: oneOf('simple', 'iso', 'unix_timestamp'),
  output_format_json_quote_64bit_integers: bool,
  output_format_json_quote_64bit_floats: bool,
  output_format_json_quote_decimals: bool,
  output_format_json_quote_denormals: bool,
  output_format_json_named_tuples_as_objects: bool,
  output_format_json_array_of_rows: bool,
  output_format_json_validate_utf8: bool,
  output_format_json_escape_forward_slashes: bool,
  output_format_write_statistics: bool,
  output_format_decimal_trailing_zeros: bool,
  output_format_csv_crlf_end_of_line: bool,
  output_format_tsv_crlf_end_of_line: bool,
  output_format_pretty_max_rows: intIn(1, 100_000),
  output_format_pretty_max_column_pad_width: intIn(1, 1000),
  output_format_pretty_color: oneOf('0', '1', 'auto'),
  output_format_pretty_grid_charset: oneOf('UTF-8', 'ASCII'),
  output_format_pretty_row_numbers: bool,
  format_csv_delimiter: delimiter,
  format_csv_null_representation: (v) => /^[\x20-\x7e]{0,16}$/.test(v),
  format_tsv_null_representation: (v) => /^[\x20-\x7e]{0,16}$/.test(v),
  extremes: bool,
};

/** Limits a client may lower (never raise); their values are positive integers. */
const lowerableLimits: Readonly<Record<string, keyof AnalystLimits>> = {
  max_execution_time: 'maxExecutionSeconds',
  max_memory_usage: 'maxMemoryBytes',
  max_result_rows: 'maxResultRows',
  max_result_bytes: 'maxResultBytes',
  max_threads: 'maxThreads',
};

export interface AnalystSessionPlan {
  readonly limits: AnalystLimits;
  /** Settings fixed on the analyst's session: limits, the output settings asked for, `readonly=1`. */
  readonly settings: Readonly<Record<string, string | number>>;
}

const refused = (message: string) => ClickHouseHttpError.of('READONLY', message);

/**
 * Checks the settings a request carries (URL parameters) against the lists
 * above and returns what the analyst's session is opened with. Time zones are
 * checked against the engine's own list (`timeZones`).
 */
export function planAnalystSession(requested: Record<string, string>, base: AnalystLimits, timeZones: ReadonlySet<string>): AnalystSessionPlan {
  const limits: Record<keyof AnalystLimits, number> = { ...base };
  const chosen: Record<string, string> = {};
  for (const [name, value] of Object.entries(requested)) {
    const limit = lowerableLimits[name];
    const check = outputSettings[name];
    if (limit) {
      if (!/^\d{1,15}$/.test(value)) throw refused(`Setting ${name} must be a positive integer (at most ${base[limit]})`);
      if (Number(value) > 0) limits[limit] = Math.min(limits[limit], Number(value));
    } else if (name === 'readonly') {
      if (value !== '1' && value !== '2') throw refused(`Cannot modify 'readonly' setting in readonly mode: analyst keys are read-only`);
    } else if (name === 'session_timezone') {
      if (!timeZones.has(value)) throw ClickHouseHttpError.of('BAD_ARGUMENTS', `Setting session_timezone must name a time zone of system.time_zones`);
      chosen[name] = value;
    } else if (check) {
      if (!check(value)) throw ClickHouseHttpError.of('BAD_ARGUMENTS', `Setting ${name} does not accept this value`);
      chosen[name] = value;
    } else {
      throw refused(`Cannot modify '${name}' setting in readonly mode: analyst keys may set only output format settings and lower their limits`);
    }
  }
  return {
    limits,
    settings: {
      output_format_json_quote_64bit_integers: 1,
      ...chosen,
      max_execution_time: limits.maxExecutionSeconds,
      timeout_overflow_mode: 'throw',
      max_memory_usage: limits.maxMemoryBytes,
      max_result_rows: limits.maxResultRows,
      result_overflow_mode: 'throw',
      max_threads: limits.maxThreads,
      readonly: 1,
    },
  };
}

/** Every setting name a client may send, for the security suite. */
export const clientSettableNames: readonly string[] = [...Object.keys(outputSettings), ...Object.keys(lowerableLimits), 'readonly', 'session_timezone'];
