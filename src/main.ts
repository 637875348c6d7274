// `npm start`: read the settings, start the provider, say where to go; stop gracefully on SIGTERM.
import { loadSettings } from '../config/settings.ts';
import { ConfigError } from './errors.ts';
import { createIdp } from './server.ts';

try {
  const settings = loadSettings();
  const idp = await createIdp(settings);
  await idp.listen();
  idp.logger.info({ mode: settings.mode, port: settings.port, issuer: settings.issuer }, `hk-idp (${settings.mode}) listening on port ${settings.port}; issuer ${settings.issuer}`);
  for (const line of idp.notices) idp.logger.info(line);
  let signals = 0;
  const stop = (signal: string) => {
    // A second signal means "now": the operator (or the orchestrator's kill timeout) will not wait.
    if (++signals > 1) process.exit(1);
    idp.logger.info({ signal }, 'stopping');
    idp.shutdown().then(
      () => process.exit(0),
      (error) => {
        idp.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`hk-idp cannot start: ${error.message}`);
    process.exit(78);
  }
  throw error;
}
