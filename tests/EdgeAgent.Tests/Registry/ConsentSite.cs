using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Http;
using PatientStream.Consent.Records;
using PatientStream.Testing;
using PatientStream.Testing.Records;

namespace PatientStream.EdgeAgent.Tests.Registry;

/// <summary>
/// The site's consent service (consent and attestation APIs) on a real Kestrel, over Consent and Device records in a
/// real FHIR store, as a site keeps them.
/// </summary>
internal sealed class ConsentSite : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempFolder _folder;

    private ConsentSite(WebApplication app, TempFolder folder, ConsentRecordsStore store)
    {
        _app = app;
        _folder = folder;
        Store = store;
        Address = new Uri(app.Urls.First() + "/");
    }

    public Uri Address { get; }

    public ConsentRecordsStore Store { get; }

    public static async Task<ConsentSite> StartAsync()
    {
        var folder = new TempFolder("edge-consent");
        var store = await ConsentRecordsStore.OpenAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IConsentRecords>(store.Records);
        builder.Services.AddConsent(o => o.Ca = new DeviceCaOptions { DataDirectory = folder.Combine("ca") });
        var app = builder.Build();
        app.MapConsentApi();
        app.MapAttestationApi();
        await app.StartAsync();
        return new ConsentSite(app, folder, store);
    }

    public HttpClient Client() => new() { BaseAddress = Address };

    /// <summary>Binds a device to a patient through the clinician API.</summary>
    public async Task BindAsync(string device, string patient)
    {
        using var http = Client();
        using var response = await http.PutAsJsonAsync($"consent/v1/devices/{device}/binding", new { patient, clinician = "Practitioner/nurse" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Revokes a device through the administrator API.</summary>
    public async Task RevokeAsync(string device)
    {
        using var http = Client();
        using var response = await http.PostAsJsonAsync("attestation/v1/revoke", new { device, reason = "lost", by = "Practitioner/admin" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A patient's treatment consent (FHIR R4 Consent, scope treatment), permitting every reading or none.</summary>
    public Task ConsentAsync(string patient, bool active)
    {
        var id = "treat-" + patient.Replace("Patient/", "", StringComparison.Ordinal);
        return Store.PutConsentAsync(new JsonObject
        {
            ["resourceType"] = "Consent",
            ["id"] = id,
            ["status"] = active ? "active" : "inactive",
            ["scope"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/consentscope", ["code"] = "treatment" }),
            },
            ["category"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "59284-0" }),
            }),
            ["patient"] = new JsonObject { ["reference"] = patient },
            ["provision"] = new JsonObject { ["type"] = "permit" },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await Store.DisposeAsync();
        _folder.Dispose();
    }
}
