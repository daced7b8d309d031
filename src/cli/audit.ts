import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyAudit } from '../adapters/journal/audit-log.ts';
import { loadConfig } from '../config/load.ts';

/**
 * runAuditVerify: `riskstream audit verify [--data DIR] [--config FILE]` walks the audit trail of
 * the data dir and reports the first broken link (file and line), exit 1; exit 0 when whole.
 */
export function runAuditVerify(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, config: { type: 'string' } }, strict: true });
  const { config } = loadConfig({ ...(values.config ? { file: values.config } : {}), flags: values.data ? { dataDir: values.data } : {} });
  if (!existsSync(config.dataDir)) {
    process.stderr.write(`riskstream audit verify: no data dir ${config.dataDir}\n`);
    return 2;
  }
  const v = verifyAudit(config.dataDir);
  if (!v.ok) {
    process.stdout.write(`BROKEN ${v.file}:${v.line}: ${v.reason} (${v.records} records verified before it)\n`);
    return 1;
  }
  process.stdout.write(`ok: ${v.records} records in ${v.files} file(s), records ${v.from}..${v.from + v.records - 1}, head ${v.head}\n`);
  return 0;
}
