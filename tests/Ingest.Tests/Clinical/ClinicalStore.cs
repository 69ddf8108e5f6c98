using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Ingest.Clinical;
using PatientStream.Ingest.Fhir;
using PatientStream.Testing;

namespace PatientStream.Ingest.Tests.Clinical;

/// <summary>A real FHIR store (SQLite in a temporary folder) with a Patient the devices are bound to, and a handler over it.</summary>
internal sealed class ClinicalStore : IAsyncDisposable
{
    private readonly TempFolder _folder;
    private readonly SqlFhirStore _store;

    private ClinicalStore(TempFolder folder, SqlFhirStore store)
    {
        _folder = folder;
        _store = store;
        Fhir = new FhirService(store);
    }

    public FhirService Fhir { get; }

    public static async Task<ClinicalStore> OpenAsync()
    {
        var folder = new TempFolder("clinical-store");
        var store = new SqlFhirStore(new SqliteDialect(folder.Combine("fhir.db")), FhirDefinitions.R4);
        await store.InitializeAsync(CancellationToken.None);
        return new ClinicalStore(folder, store);
    }

    public ClinicalRecordHandler Handler(ClinicalOptions? options = null) =>
        new(options ?? EhrRecords.Options, new FhirServicePatientDirectory(Fhir), new FhirServiceWriter(Fhir));

    /// <summary>Registers the Patient a device binding names, with its MRN, as enrolment does.</summary>
    public async Task EnrolAsync(string patientId, string mrn)
    {
        await Fhir.UpdateAsync("Patient", patientId, new JsonObject
        {
            ["resourceType"] = "Patient",
            ["id"] = patientId,
            ["identifier"] = new JsonArray(
                new JsonObject { ["system"] = EhrRecords.MrnSystem, ["value"] = mrn },
                new JsonObject { ["system"] = "urn:patientstream:enrolment", ["value"] = $"enrol-{patientId}" }),
            ["active"] = true,
        });
    }

    /// <summary>An Observation as device ingest writes it: subject and device.</summary>
    public async Task WriteDeviceObservationAsync(string patientId, string id)
    {
        await Fhir.UpdateAsync("Observation", id, new JsonObject
        {
            ["resourceType"] = "Observation",
            ["id"] = id,
            ["status"] = "final",
            ["category"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = ObservationBuilder.CategorySystem, ["code"] = "vital-signs" }),
            }),
            ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "8867-4" }) },
            ["subject"] = new JsonObject { ["reference"] = $"Patient/{patientId}" },
            ["device"] = new JsonObject { ["reference"] = "Device/dev-1" },
            ["effectiveDateTime"] = "2026-11-20T10:00:00Z",
            ["valueQuantity"] = new JsonObject { ["value"] = 72, ["unit"] = "/min", ["system"] = "http://unitsofmeasure.org", ["code"] = "/min" },
        });
    }

    public async Task<IReadOnlyList<JsonObject>> SearchAsync(string type, string query) =>
        (await Fhir.SearchAsync(type, query)).MatchResources();

    public async Task<JsonObject> ReadAsync(string reference)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        var stored = await Fhir.ReadAsync(reference[..slash], reference[(slash + 1)..], CancellationToken.None);
        return (JsonObject)JsonNode.Parse(stored.Json)!;
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _folder.Dispose();
    }
}
