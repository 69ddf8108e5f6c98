using System.Net;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Errors;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;

namespace PatientStream.Fhir.Tests.Storage;

/// <summary>A fresh store per test, the service over it, and data helpers.</summary>
public abstract class StoreTestBase : IAsyncLifetime
{
    private IFhirStore? _store;

    protected FhirService Service { get; private set; } = null!;

    protected abstract Task<IFhirStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.InitializeAsync(CancellationToken.None);
        Service = new FhirService(_store);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    protected static JsonObject Json(string json) => (JsonObject)JsonNode.Parse(json)!;

    protected async Task<string> CreatePatientAsync(string family, string? identifier = null, string? birthDate = null)
    {
        var p = Json($$"""{"resourceType":"Patient","name":[{"family":"{{family}}","given":["Ann"]}]}""");
        if (identifier is not null)
        {
            p["identifier"] = new JsonArray(new JsonObject { ["system"] = "urn:mrn", ["value"] = identifier });
        }

        if (birthDate is not null)
        {
            p["birthDate"] = birthDate;
        }

        return (await Service.CreateAsync(p)).Resource!.Id;
    }

    protected async Task<string> CreateObservationAsync(string patientId, string code, string effective, decimal value, string unit = "/min")
    {
        var o = Json($$$"""
            {"resourceType":"Observation","status":"final",
             "code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}","display":"Heart rate"}]},
             "subject":{"reference":"Patient/{{{patientId}}}"},"effectiveDateTime":"{{{effective}}}",
             "valueQuantity":{"value":{{{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"unit":"{{{unit}}}","system":"http://unitsofmeasure.org","code":"{{{unit}}}"}}
            """);
        return (await Service.CreateAsync(o)).Resource!.Id;
    }

    protected async Task<IReadOnlyList<string>> SearchIdsAsync(string type, string query)
    {
        var result = await Service.SearchAsync(type, query);
        return result.Page.Matches.Select(m => m.Id).ToList();
    }
}
