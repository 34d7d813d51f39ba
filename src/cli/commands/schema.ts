/** `ws-deployment schema`: the config's JSON Schema on stdout. */
import { configJsonSchema } from '../../config/json-schema.js';

export default async function schema(): Promise<void> {
  process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
}
