// `npm start`: read the settings, start the provider, say where to go.
import { ConfigError, loadSettings } from '../config/settings.ts';
import { createIdp } from './server.ts';

try {
  const settings = loadSettings();
  const idp = await createIdp(settings);
  await idp.listen();
  console.log(`hk-idp (${settings.mode}) listening on port ${settings.port}; issuer ${settings.issuer}`);
  for (const line of idp.notices) console.log(`  ${line}`);
  const stop = async () => {
    await idp.close();
    process.exit(0);
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
