using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Http;
using PatientStream.Consent.Records;
using PatientStream.Consent.Tests.Policy;
using PatientStream.Fhir.Http;
using PatientStream.Testing;
using P = PatientStream.Consent.Tests.Policy.ProvisionBuilder;

namespace PatientStream.Consent.Tests.Records;

/// <summary>The consent service and the FHIR server in one Kestrel, as <c>patientstream serve</c> runs them.</summary>
public sealed class ConsentOverFhirApiTests : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _dir = new("consent-fhir");
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddFhirServer(o => o.DataDirectory = _dir.Combine("fhir"));
        builder.Services.AddConsentFhirRecords();
        builder.Services.AddConsent(o => o.Ca = new DeviceCaOptions { DataDirectory = _dir.Combine("ca") });
        _app = builder.Build();
        _app.MapFhir();
        _app.MapConsentApi();
        _app.MapAttestationApi();
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First() + "/") };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Consent_written_through_FHIR_decides_and_the_decision_is_an_AuditEvent_in_FHIR()
    {
        var consent = ConsentBuilder.Given("c1", P.Permit().Nested(P.Deny().Id("no-bp").Code("http://loinc.org", "8480-6")));
        var put = await _http.PutAsync("fhir/Consent/c1", new StringContent(consent.ToJsonString(), Encoding.UTF8, "application/fhir+json"));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var bind = await _http.PutAsync("consent/v1/devices/dev-1/binding", Json("""{"patient":"Patient/123","clinician":"Practitioner/dr-a"}"""));
        Assert.Equal(HttpStatusCode.OK, bind.StatusCode);

        var decision = await _http.PostAsync("consent/v1/decide", Json("""
            {"patient":"Patient/123","purpose":"TREAT","device":"Device/dev-1","codes":["http://loinc.org|8867-4","http://loinc.org|8480-6"]}
            """));

        var body = (await decision.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("partial", body["decision"]!.GetValue<string>());
        var device = (await _http.GetFromJsonAsync<JsonNode>("fhir/Device/dev-1"))!;
        Assert.Equal("Patient/123", device["patient"]!["reference"]!.GetValue<string>());
        var audits = (await _http.GetFromJsonAsync<JsonNode>("fhir/AuditEvent?subtype=urn:patientstream:audit%7Cconsent-decision"))!;
        Assert.Equal("Bundle", audits["resourceType"]!.GetValue<string>());
        var entry = Assert.Single(audits["entry"]!.AsArray());
        Assert.Contains("\"reference\":\"Consent/c1\"", entry!.ToJsonString(), StringComparison.Ordinal);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
