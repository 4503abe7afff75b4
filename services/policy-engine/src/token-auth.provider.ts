import fs from 'node:fs';
import { Logger, type Provider } from '@nestjs/common';
import { ConfigError, type ConfigOf, type ConfigProblem } from '@vigil/config';
import { VIGIL_CONFIG } from '@vigil/service-kit';
import { TokenAuth, TokenConfigError } from './domain/auth';
import type { policyEngineSchema } from './policy-engine.config';

type Config = ConfigOf<typeof policyEngineSchema>;

/**
 * The API tokens from policyEngine.tokensFile and policyEngine.tokens (both JSON, merged). A bad
 * file stops the start with a ConfigError naming each entry, like any other configuration value.
 */
export const TokenAuthProvider: Provider = {
  provide: TokenAuth,
  inject: [VIGIL_CONFIG],
  useFactory: (config: Config): TokenAuth => {
    const { tokensFile, tokens } = config.policyEngine;
    const entries: unknown[] = [];
    const problems: ConfigProblem[] = [];
    const read = (text: string, source: string, path: string) => {
      try {
        const raw: unknown = JSON.parse(text);
        TokenAuth.fromValue(raw, source); // validates this source alone, so problems name it
        const list = Array.isArray(raw) ? raw : (raw as { tokens: unknown[] }).tokens;
        entries.push(...list);
      } catch (e) {
        if (e instanceof TokenConfigError) for (const reason of e.problems) problems.push({ source, path, reason });
        else problems.push({ source, path, reason: `not JSON: ${(e as Error).message}` });
      }
    };
    if (tokensFile) {
      let text: string | undefined;
      try {
        text = fs.readFileSync(tokensFile, 'utf8');
      } catch (e) {
        problems.push({
          source: `file ${tokensFile}`,
          path: 'policyEngine.tokensFile',
          reason: `cannot read: ${(e as Error).message}`,
        });
      }
      if (text !== undefined) read(text, `file ${tokensFile}`, 'policyEngine.tokensFile');
    }
    if (tokens) read(tokens, 'env VIGIL_POLICY_ENGINE_TOKENS', 'policyEngine.tokens');
    if (problems.length > 0) throw new ConfigError(problems);
    let auth: TokenAuth;
    try {
      auth = TokenAuth.fromValue(entries, 'policyEngine tokens');
    } catch (e) {
      // Only a token present in both sources can fail here.
      throw new ConfigError(
        (e as TokenConfigError).problems.map((reason) => ({ source: 'tokens', path: 'policyEngine', reason })),
      );
    }
    if (auth.size === 0)
      new Logger('policy-engine').warn(
        'no API tokens configured (policyEngine.tokensFile, VIGIL_POLICY_ENGINE_TOKENS): every API request gets 401',
      );
    return auth;
  },
};
