using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Ingest.Clinical;

namespace PatientStream.Ingest.Tests.Clinical;

/// <summary>EHR records as an EHR's interface engine sends them: every way FHIR lets a Bundle name its resources.</summary>
internal static class EhrRecords
{
    public const string MrnSystem = "https://hospital.example.org/mrn";
    public const string Source = "https://ehr.example.org/fhir";
    public const string PatientUrn = "urn:uuid:11111111-1111-4111-8111-111111111111";
    public const string EncounterUrn = "urn:uuid:22222222-2222-4222-8222-222222222222";

    public static ClinicalOptions Options { get; } = new() { MrnSystem = MrnSystem };

    /// <summary>
    /// A visit: the Patient (urn:uuid fullUrl, EHR id ehr-pat-9), an Encounter (urn:uuid), a heart failure Condition
    /// (absolute fullUrl) in that encounter, a blood pressure taken in clinic with the clinic's cuff by a Practitioner
    /// of the record, a MedicationStatement for the Condition, and a DiagnosticReport (not merged). The patient is named
    /// by urn, relative and absolute references.
    /// </summary>
    public static JsonObject Visit(string mrn) => Parse($$"""
        {
          "resourceType": "Bundle", "type": "collection", "meta": { "source": "{{Source}}#message-41" },
          "entry": [
            { "fullUrl": "{{PatientUrn}}", "resource": { "resourceType": "Patient", "id": "ehr-pat-9",
                "identifier": [ { "system": "{{MrnSystem}}", "value": "{{mrn}}" } ],
                "name": [ { "family": "Doe", "given": [ "Jane" ] } ], "gender": "female", "birthDate": "1950-03-04" } },
            { "fullUrl": "{{EncounterUrn}}", "resource": { "resourceType": "Encounter", "id": "enc-1", "status": "finished",
                "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB" },
                "subject": { "reference": "{{PatientUrn}}" }, "period": { "start": "2026-11-20T09:00:00Z", "end": "2026-11-20T09:40:00Z" } } },
            { "fullUrl": "{{Source}}/Condition/cond-1", "resource": { "resourceType": "Condition", "id": "cond-1",
                "clinicalStatus": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" } ] },
                "code": { "coding": [ { "system": "http://snomed.info/sct", "code": "84114007", "display": "Heart failure" } ] },
                "subject": { "reference": "Patient/ehr-pat-9" }, "encounter": { "reference": "{{EncounterUrn}}" } } },
            { "resource": { "resourceType": "Practitioner", "id": "dr-7", "name": [ { "family": "House" } ] } },
            { "resource": { "resourceType": "Observation", "id": "obs-bp-1", "status": "final",
                "category": [ { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs" } ] } ],
                "code": { "coding": [ { "system": "http://loinc.org", "code": "85354-9" } ] },
                "subject": { "reference": "{{Source}}/Patient/ehr-pat-9" }, "encounter": { "reference": "Encounter/enc-1" },
                "effectiveDateTime": "2026-11-20T09:30:00Z", "performer": [ { "reference": "Practitioner/dr-7" } ],
                "device": { "reference": "Device/clinic-cuff-3" },
                "component": [
                  { "code": { "coding": [ { "system": "http://loinc.org", "code": "8480-6" } ] },
                    "valueQuantity": { "value": 142, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]" } },
                  { "code": { "coding": [ { "system": "http://loinc.org", "code": "8462-4" } ] },
                    "valueQuantity": { "value": 88, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]" } } ] } },
            { "resource": { "resourceType": "MedicationStatement", "id": "med-1", "status": "active",
                "medicationCodeableConcept": { "text": "Furosemide 40 mg" },
                "subject": { "reference": "{{PatientUrn}}" }, "reasonReference": [ { "reference": "Condition/cond-1" } ] } },
            { "resource": { "resourceType": "DiagnosticReport", "id": "rep-1", "status": "final", "code": { "text": "Echo" },
                "subject": { "reference": "Patient/ehr-pat-9" } } }
          ]
        }
        """);

    /// <summary>A lab result with no Patient resource: the patient is named by a logical reference carrying the MRN.</summary>
    public static JsonObject LabResult(string mrn, string id = "lab-1") => Parse($$"""
        {
          "resourceType": "Bundle", "type": "message",
          "entry": [
            { "resource": { "resourceType": "MessageHeader", "eventCoding": { "code": "R01" }, "source": { "endpoint": "urn:lab" } } },
            { "resource": { "resourceType": "Observation", "id": "{{id}}", "status": "final",
                "category": [ { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory" } ] } ],
                "code": { "coding": [ { "system": "http://loinc.org", "code": "2160-0", "display": "Creatinine" } ] },
                "subject": { "identifier": { "system": "{{MrnSystem}}", "value": "{{mrn}}" } },
                "effectiveDateTime": "2026-11-19T08:00:00Z",
                "valueQuantity": { "value": 1.4, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL" } } }
          ]
        }
        """);

    public static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;

    public static byte[] Bytes(JsonObject bundle) => Encoding.UTF8.GetBytes(bundle.ToJsonString());

    public static string Code(JsonObject resource) => resource["code"]!["coding"]![0]!["code"]!.GetValue<string>();
}
