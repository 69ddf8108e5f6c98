// Drives the FHIR server with fhir-kit-client, as a clinician's FHIR client would.
// Usage: node client-check.mjs <baseUrl>. Prints one JSON line of results; exits 1 when a check fails.
import { Client } from 'fhir-kit-client';

const client = new Client({ baseUrl: process.argv[2] });
const results = {};
function check(name, condition, detail) {
  results[name] = condition ? 'ok' : `FAILED: ${JSON.stringify(detail)}`;
}

const mrn = `mrn-${Date.now()}`;
const patient = await client.create({
  resourceType: 'Patient',
  body: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }], name: [{ family: 'Kit', given: ['Client'] }] },
});
check('create', typeof patient.id === 'string' && patient.meta.versionId === '1', patient);

const again = await client.create({
  resourceType: 'Patient',
  body: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }] },
  options: { headers: { 'If-None-Exist': `identifier=urn:mrn|${mrn}` } },
});
check('conditional create', again.id === patient.id, again);

const read = await client.read({ resourceType: 'Patient', id: patient.id });
check('read', read.name[0].family === 'Kit', read);

const tx = await client.transaction({
  body: {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: 7 }, (_, i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${i}`,
      resource: {
        resourceType: 'Observation', status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${patient.id}` },
        effectiveDateTime: `2026-11-21T10:0${i}:00Z`,
        valueQuantity: { value: 60 + i, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      },
      request: { method: 'POST', url: 'Observation' },
    })),
  },
});
check('transaction', tx.type === 'transaction-response' && tx.entry.length === 7 && tx.entry.every((e) => e.response.status.startsWith('201')), tx);

let page = await client.search({ resourceType: 'Observation', searchParams: { patient: patient.id, _count: 3, _sort: 'date' } });
const seen = [];
let pages = 0;
while (page) {
  pages += 1;
  seen.push(...(page.entry ?? []).map((e) => e.resource.effectiveDateTime));
  page = await client.nextPage({ bundle: page });
}
check('search with paging', pages === 3 && seen.length === 7 && seen.every((v, i) => i === 0 || seen[i - 1] < v), { pages, seen });

const updated = await client.update({ resourceType: 'Patient', id: patient.id, body: { ...read, active: true } });
check('update', updated.meta.versionId === '2', updated);

const history = await client.history({ resourceType: 'Patient', id: patient.id });
check('history', history.type === 'history' && history.entry.length === 2, history);

const failed = Object.values(results).filter((r) => r !== 'ok');
console.log(JSON.stringify(results));
process.exit(failed.length === 0 ? 0 : 1);
