import { createAuth, DEFAULT_TTL, PEOPLE, Role } from '../auth/auth.ts';
import { loadConfig, resolveSecret } from '../config/load.ts';
import { AppError } from '../errors.ts';

/** TokenOptions: the options of `riskstream token`. */
export interface TokenOptions {
  role?: string;
  sub?: string;
  towns?: string;
  ttl?: string;
  config?: string;
  data?: string;
}

/** runToken: mint a signed access token with the configured secret; prints the token alone. */
export async function runToken(values: TokenOptions): Promise<number> {
  const role = Role.safeParse(values.role);
  if (!role.success) {
    process.stderr.write(`riskstream token: --role: expected one of ${Role.options.join(', ')}\n`);
    return 2;
  }
  // a person's token names the person: acknowledgements, silences and audits are signed with it
  const sub = values.sub?.trim();
  if (PEOPLE.includes(role.data) && !sub) {
    process.stderr.write(`riskstream token: --sub NAME is required for a ${role.data} token (who it is for, e.g. --sub 张伟-值班); screens use --role screen, producers --role ingest\n`);
    return 2;
  }
  if (sub !== undefined && (sub.length === 0 || sub.length > 200)) {
    process.stderr.write('riskstream token: --sub: 1 to 200 characters\n');
    return 2;
  }
  try {
    const { config } = loadConfig({ ...(values.config ? { file: values.config } : {}), flags: values.data ? { dataDir: values.data } : {} });
    const townsFlag = values.towns ?? '*';
    const towns = townsFlag === '*' ? '*' : townsFlag.split(',').map((t) => t.trim()).filter(Boolean);
    const token = await createAuth(resolveSecret(config)).sign({ sub: sub ?? `${role.data}-${towns === '*' ? 'all' : towns.join('+')}`, role: role.data, towns }, values.ttl ?? DEFAULT_TTL[role.data]);
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
