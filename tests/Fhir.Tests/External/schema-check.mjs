// Validates FHIR resources against the official R4 JSON schema (fhir.schema.json) with ajv.
// Usage: node schema-check.mjs <file.ndjson>   (one resource per line)
// Prints {"checked":N,"failures":[{"line":i,"resourceType":...,"errors":[...]}]} and exits 1 on any failure.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import Ajv from 'ajv';

const require = createRequire(import.meta.url);
const draft6 = require('ajv/dist/refs/json-schema-draft-06.json');
const here = new URL('.', import.meta.url).pathname;
const schema = JSON.parse(gunzipSync(readFileSync(here + 'fhir.schema.json.gz')).toString('utf8'));
delete schema.id;
schema.$id = 'fhir';
// The redistributed schema refers to #/definitions/Resource (contained, Bundle.entry.resource) without defining
// it; the official R4 schema's ResourceList is what it means.
schema.definitions.Resource ??= { $ref: '#/definitions/ResourceList' };
// Likewise integer64 (used only by the redistribution's own non-R4 resources): R5 writes it as a JSON string.
schema.definitions.integer64 ??= { type: 'string', pattern: '^-?([0]|([1-9][0-9]*))$' };
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addMetaSchema(draft6);
ajv.addSchema(schema);

const validators = new Map();
function validatorFor(type) {
  if (!validators.has(type)) {
    validators.set(type, schema.definitions[type] ? ajv.compile({ $ref: `fhir#/definitions/${type}` }) : null);
  }
  return validators.get(type);
}

const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.trim().length > 0);
const failures = [];
lines.forEach((line, i) => {
  const resource = JSON.parse(line);
  const validate = validatorFor(resource.resourceType);
  if (!validate) {
    failures.push({ line: i, resourceType: resource.resourceType, errors: ['unknown resourceType'] });
  } else if (!validate(resource)) {
    failures.push({ line: i, resourceType: resource.resourceType, errors: validate.errors.slice(0, 5).map((e) => `${e.instancePath} ${e.message}`) });
  }
});
console.log(JSON.stringify({ checked: lines.length, failures }));
process.exit(failures.length === 0 ? 0 : 1);
