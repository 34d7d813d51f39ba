/**
 * `-o, --output text|json`, one spelling for every command that prints results
 * (`plan`, `status`, `clusters list`). `table` is accepted as another name for
 * `text` (`clusters list` documented it once), so no script breaks.
 */
import { Option, type Command } from 'commander';

const OUTPUT_FORMATS = ['text', 'json'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The option, for `.addOption()`. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'text or json ("table" is accepted for text)').choices([...OUTPUT_FORMATS, 'table']).default('text');
}

/** The chosen format (`table` read as `text`). */
export function outputFormat(command: Command): OutputFormat {
  const value = (command.opts() as { output?: string }).output ?? 'text';
  return value === 'json' ? 'json' : 'text';
}
