using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace PatientStream.Host.Demo;

/// <summary>What happens to one demo patient's consent.</summary>
internal enum ConsentStory
{
    /// <summary>Permits treatment and research for the whole run.</summary>
    Permits,

    /// <summary>Never gave consent: the edge refuses every reading.</summary>
    None,

    /// <summary>Permits at first, withdraws the treatment consent midway.</summary>
    Withdraws,
}

/// <summary>One simulated patient: FHIR Patient with an MRN, one bound device, a consent story.</summary>
internal sealed record DemoPatient(int Index, string PatientId, string Mrn, string DeviceId, ConsentStory Consent, bool Deteriorates)
{
    public string Reference => $"Patient/{PatientId}";

    public string TreatmentConsentId => $"{PatientId}-treatment";

    public string ResearchConsentId => $"{PatientId}-research";
}

/// <summary>
/// The demo's patients: patient 0 deteriorates, patient 1 never consents, patient 2 withdraws midway, everyone else
/// permits treatment and research. Everything is recorded through the server's public APIs (FHIR and consent/v1),
/// as a hospital's systems would.
/// </summary>
internal sealed class DemoCohort
{
    public const string MrnSystem = PatientStream.Ingest.Clinical.ClinicalOptions.DefaultMrnSystem;
    public const string DevicePrefix = "demo";
    private const string Clinician = "Practitioner/demo-nurse";
    private static readonly string[] s_given = ["Alex", "Sam", "Robin", "Kim", "Jo", "Chris", "Maria", "Noor", "Lee", "Ana"];
    private static readonly string[] s_family = ["Berger", "Okafor", "Novak", "Silva", "Haddad", "Jensen", "Rossi", "Tanaka"];

    public DemoCohort(int patients)
    {
        Patients = [.. Enumerable.Range(0, patients).Select(Create)];
    }

    public IReadOnlyList<DemoPatient> Patients { get; }

    public DemoPatient Deteriorating => Patients.Single(p => p.Deteriorates);

    public DemoPatient WithoutConsent => Patients.Single(p => p.Consent == ConsentStory.None);

    public DemoPatient Withdrawing => Patients.Single(p => p.Consent == ConsentStory.Withdraws);

    private static DemoPatient Create(int index)
    {
        var number = index.ToString("D4", CultureInfo.InvariantCulture);
        var story = index switch
        {
            1 => ConsentStory.None,
            2 => ConsentStory.Withdraws,
            _ => ConsentStory.Permits,
        };
        return new DemoPatient(index, $"demo-patient-{number}", $"MRN-{100000 + index}", $"{DevicePrefix}-{number}", story, Deteriorates: index == 0);
    }

    /// <summary>Records Patients, device bindings and Consents on the server.</summary>
    public async Task RecordAsync(HttpClient server, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        foreach (var patient in Patients)
        {
            await PutFhirAsync(server, $"fhir/Patient/{patient.PatientId}", PatientResource(patient), cancellationToken).ConfigureAwait(false);
            using (var bound = await server.PutAsJsonAsync($"consent/v1/devices/{patient.DeviceId}/binding",
                new BindingRequest(patient.Reference, Clinician), DemoJson.Default.BindingRequest, cancellationToken).ConfigureAwait(false))
            {
                await EnsureSuccessAsync(bound, $"binding of {patient.DeviceId}", cancellationToken).ConfigureAwait(false);
            }
            if (patient.Consent != ConsentStory.None)
            {
                await PutFhirAsync(server, $"fhir/Consent/{patient.TreatmentConsentId}", ConsentResource(patient, patient.TreatmentConsentId, "treatment", "active"), cancellationToken).ConfigureAwait(false);
                await PutFhirAsync(server, $"fhir/Consent/{patient.ResearchConsentId}", ConsentResource(patient, patient.ResearchConsentId, "research", "active"), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The withdrawing patient's treatment Consent becomes inactive; the edge stops their data at its next change-feed read.</summary>
    public async Task WithdrawAsync(HttpClient server, CancellationToken cancellationToken)
    {
        var patient = Withdrawing;
        await PutFhirAsync(server, $"fhir/Consent/{patient.TreatmentConsentId}", ConsentResource(patient, patient.TreatmentConsentId, "treatment", "inactive"), cancellationToken).ConfigureAwait(false);
    }

    private static async Task PutFhirAsync(HttpClient server, string path, JsonObject resource, CancellationToken cancellationToken)
    {
        using var content = new StringContent(resource.ToJsonString(), Encoding.UTF8, "application/fhir+json");
        using var response = await server.PutAsync(new Uri(path, UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, path, cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new DemoStartupException($"the server refused {what}: {(int)response.StatusCode} {body}");
        }
    }

    private static JsonObject PatientResource(DemoPatient patient) => new()
    {
        ["resourceType"] = "Patient",
        ["id"] = patient.PatientId,
        ["identifier"] = new JsonArray(new JsonObject
        {
            ["use"] = "usual",
            ["type"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v2-0203", ["code"] = "MR" }),
            },
            ["system"] = MrnSystem,
            ["value"] = patient.Mrn,
        }),
        ["active"] = true,
        ["name"] = new JsonArray(new JsonObject
        {
            ["family"] = s_family[patient.Index % s_family.Length],
            ["given"] = new JsonArray(s_given[patient.Index % s_given.Length]),
        }),
        ["gender"] = patient.Index % 2 == 0 ? "female" : "male",
        ["birthDate"] = $"{1940 + (patient.Index * 7 % 50)}-0{1 + (patient.Index % 9)}-15",
    };

    private static JsonObject ConsentResource(DemoPatient patient, string id, string scope, string status) => new()
    {
        ["resourceType"] = "Consent",
        ["id"] = id,
        ["status"] = status,
        ["scope"] = new JsonObject
        {
            ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/consentscope", ["code"] = scope }),
        },
        ["category"] = new JsonArray(new JsonObject
        {
            ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "59284-0" }),
        }),
        ["patient"] = new JsonObject { ["reference"] = patient.Reference },
        ["dateTime"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["policyRule"] = new JsonObject
        {
            ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = "OPTIN" }),
        },
        ["provision"] = new JsonObject { ["type"] = "permit" },
    };
}

internal sealed record BindingRequest(string Patient, string Clinician);

[System.Text.Json.Serialization.JsonSerializable(typeof(BindingRequest))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class DemoJson : System.Text.Json.Serialization.JsonSerializerContext;
