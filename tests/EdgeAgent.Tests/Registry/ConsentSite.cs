using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Http;
using PatientStream.Consent.Records;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Registry;

/// <summary>A clock a test moves by hand, so cache expiry is a step of the test and never a wait.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>
/// The site's consent service (consent and attestation APIs) on a real Kestrel, over Consent and Device records kept
/// in memory where a site keeps them in its FHIR store.
/// </summary>
internal sealed class ConsentSite : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempFolder _folder;

    private ConsentSite(WebApplication app, TempFolder folder, MemoryConsentRecords records)
    {
        _app = app;
        _folder = folder;
        Records = records;
        Address = new Uri(app.Urls.First() + "/");
    }

    public Uri Address { get; }

    public MemoryConsentRecords Records { get; }

    public static async Task<ConsentSite> StartAsync()
    {
        var folder = new TempFolder("edge-consent");
        var records = new MemoryConsentRecords();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IConsentRecords>(records);
        builder.Services.AddConsent(o => o.Ca = new DeviceCaOptions { DataDirectory = folder.Combine("ca") });
        var app = builder.Build();
        app.MapConsentApi();
        app.MapAttestationApi();
        await app.StartAsync();
        return new ConsentSite(app, folder, records);
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
    public void Consent(string patient, bool active)
    {
        var id = "treat-" + patient.Replace("Patient/", "", StringComparison.Ordinal);
        Records.PutConsent(new JsonObject
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
        _folder.Dispose();
    }
}

/// <summary>Consent and Device resources and AuditEvents in memory, with the change feed the edge's cache reads.</summary>
internal sealed class MemoryConsentRecords : IConsentRecords
{
    private readonly ConcurrentDictionary<string, JsonObject> _consents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _devices = new(StringComparer.Ordinal);
    private readonly List<(long Sequence, string? Patient, string? Device)> _changes = [];
    private long _sequence;

    public ConcurrentQueue<JsonObject> AuditEvents { get; } = new();

    public void PutConsent(JsonObject consent)
    {
        _consents[consent["id"]!.GetValue<string>()] = consent;
        Changed(consent["patient"]?["reference"]?.GetValue<string>(), null);
    }

    public Task<IReadOnlyList<JsonElement>> ConsentsOfAsync(string patient, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<JsonElement>>(_consents.Values
            .Where(c => c["patient"]?["reference"]?.GetValue<string>() == patient)
            .Select(c => JsonSerializer.Deserialize<JsonElement>(c.ToJsonString()))
            .ToList());

    public Task<JsonElement?> FindDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        Task.FromResult(_devices.TryGetValue(deviceId, out var d) ? JsonSerializer.Deserialize<JsonElement>(d.ToJsonString()) : (JsonElement?)null);

    public Task<string> SaveDeviceAsync(string deviceId, JsonObject device, CancellationToken cancellationToken)
    {
        var stored = device.DeepClone().AsObject();
        stored["id"] = deviceId;
        _devices[deviceId] = stored;
        Changed(null, deviceId);
        return Task.FromResult("Device/" + deviceId);
    }

    public Task AppendAuditAsync(JsonObject auditEvent, CancellationToken cancellationToken)
    {
        AuditEvents.Enqueue(auditEvent.DeepClone().AsObject());
        return Task.CompletedTask;
    }

    public Task<RecordChanges> ChangesSinceAsync(string? cursor, CancellationToken cancellationToken)
    {
        lock (_changes)
        {
            var since = cursor is null ? _sequence : long.Parse(cursor, CultureInfo.InvariantCulture);
            var newer = _changes.Where(c => c.Sequence > since).ToList();
            return Task.FromResult(new RecordChanges(_sequence.ToString(CultureInfo.InvariantCulture),
                newer.Select(c => c.Patient).OfType<string>().Distinct().ToList(),
                newer.Select(c => c.Device).OfType<string>().Distinct().ToList(), Reset: false));
        }
    }

    private void Changed(string? patient, string? device)
    {
        lock (_changes)
        {
            _changes.Add((++_sequence, patient, device));
        }
    }
}
