import { parseArgs } from 'node:util';
import { createAuth, Role } from '../api/auth.ts';
import { loadConfig, resolveSecret } from '../config/load.ts';
import { AppError } from '../errors.ts';

/** runToken: mint a signed access token with the configured secret; prints the token alone. */
export async function runToken(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { role: { type: 'string' }, towns: { type: 'string', default: '*' }, ttl: { type: 'string', default: '12h' }, config: { type: 'string' }, data: { type: 'string' }, sub: { type: 'string' } },
    strict: true,
  });
  const role = Role.safeParse(values.role);
  if (!role.success) {
    process.stderr.write(`riskstream token: --role: expected one of ${Role.options.join(', ')}\n`);
    return 2;
  }
  try {
    const { config } = loadConfig({ ...(values.config ? { file: values.config } : {}), flags: values.data ? { dataDir: values.data } : {} });
    const towns = values.towns === '*' ? '*' : values.towns.split(',').map((t) => t.trim()).filter(Boolean);
    const token = await createAuth(resolveSecret(config)).sign({ sub: values.sub ?? `cli-${role.data}`, role: role.data, towns }, values.ttl);
    process.stdout.write(token + '\n');
    return 0;
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`riskstream token: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
