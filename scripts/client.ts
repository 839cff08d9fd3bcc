// Writes the typed client's generated parts: client/api-types.ts (openapi-typescript, from the same
// OpenAPI document as the console's types) and client/signature.ts (a copy of the server's helper).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiTypesSource } from './api-types.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLIENT_TYPES_FILE = path.join(ROOT, 'client', 'api-types.ts');
export const CLIENT_SIGNATURE_FILE = path.join(ROOT, 'client', 'signature.ts');
export const SERVER_SIGNATURE_FILE = path.join(ROOT, 'src', 'webhooks', 'signature.ts');

export const signatureCopy = () =>
  '// Copied from src/webhooks/signature.ts by `npm run gen:client`: do not edit here.\n' + fs.readFileSync(SERVER_SIGNATURE_FILE, 'utf8');

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const writeIfChanged = (file: string, text: string) => {
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) fs.writeFileSync(file, text);
  };
  writeIfChanged(CLIENT_TYPES_FILE, (await apiTypesSource()).replace('`npm run gen:api` (scripts/api-types.ts)', '`npm run gen:client` (scripts/client.ts)'));
  writeIfChanged(CLIENT_SIGNATURE_FILE, signatureCopy());
  process.stdout.write(`wrote ${path.relative(ROOT, CLIENT_TYPES_FILE)} and ${path.relative(ROOT, CLIENT_SIGNATURE_FILE)}\n`);
}
