/**
 * The last step of the backend's build (`npm run build`): writes the portal's serialized
 * configuration schema to dist/.config-schema.json (src/config-schema.ts).
 */
import * as path from 'node:path';
import { BUILT_CONFIG_SCHEMA, collectConfigSchema, writeSerialized } from './config-schema';

collectConfigSchema(false).then(
  (schema) => {
    writeSerialized(schema, BUILT_CONFIG_SCHEMA);
    console.log(`wrote ${path.relative(process.cwd(), BUILT_CONFIG_SCHEMA)}`);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
