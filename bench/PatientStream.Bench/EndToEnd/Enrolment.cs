using System.Net.Http.Json;
using System.Text;

namespace PatientStream.Bench.EndToEnd;

/// <summary>
/// Binds each device to its patient and records the patient's consent through the server's real APIs
/// (<c>PUT consent/v1/devices/{id}/binding</c>, <c>POST fhir/Consent</c>), as a clinician would.
/// </summary>
internal static class Enrolment
{
    public static string Patient(string device) => "Patient/" + device;

    public static async Task EnrolAsync(HttpClient server, IEnumerable<string> devices, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(devices);
        foreach (var device in devices)
        {
            using var bound = await server.PutAsJsonAsync($"consent/v1/devices/{device}/binding",
                new { patient = Patient(device), clinician = "Practitioner/bench-nurse" }, cancellationToken).ConfigureAwait(false);
            await EnsureAsync(bound, $"binding {device}", cancellationToken).ConfigureAwait(false);
            using var body = new StringContent(Consent(Patient(device)), Encoding.UTF8, "application/fhir+json");
            using var consent = await server.PostAsync(new Uri("fhir/Consent", UriKind.Relative), body, cancellationToken).ConfigureAwait(false);
            await EnsureAsync(consent, $"consent of {device}'s patient", cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }
    }

    private static string Consent(string patient) => $$$"""
        {"resourceType":"Consent","status":"active",
         "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"treatment"}]},
         "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
         "patient":{"reference":"{{{patient}}}"},
         "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
         "provision":{"type":"permit"}}
        """;
}
