// Chooses the store from configuration: MongoDB when MONGODB_URI is set, SQLite in DATA_DIR
// otherwise. The server and the admin CLI open it the same way.
import type { Config } from '../config/env.js';
import type { Store } from './port.js';
import { openSqliteStore } from './sqlite/index.js';

export async function openStore(config: Pick<Config, 'mongodbUri' | 'dataDir'> & Partial<Pick<Config, 'dataDirMinFreeBytes'>>): Promise<Store> {
  if (!config.mongodbUri) return openSqliteStore(config.dataDir, { minFreeBytes: config.dataDirMinFreeBytes });
  // Loaded only when used, so a SQLite deployment never loads the MongoDB driver.
  const { openMongoStore } = await import('./mongodb/index.js');
  return openMongoStore(config.mongodbUri);
}
