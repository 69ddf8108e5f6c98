using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Http;
using PatientStream.Consent.Records;
using PatientStream.Fhir.Http;

namespace PatientStream.Host.Commands;

/// <summary>Settings of the hospital-side server.</summary>
internal sealed record ServerSettings(int Port, string DataDirectory, string Store, string? PostgresConnectionString)
{
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public IEnumerable<string> Problems()
    {
        if (Port is < 0 or > 65535)
        {
            yield return $"--port {Port} is not a TCP port.";
        }
        foreach (var problem in StoreOptions.Problems(Store, PostgresConnectionString))
        {
            yield return problem;
        }
    }
}

/// <summary>Builds the hospital-side web server (FHIR, consent and attestation APIs as they land).</summary>
internal static class ServerHost
{
    public static WebApplication Build(ServerSettings settings, LogLevel minimumLevel = LogLevel.Warning)
    {
        Directory.CreateDirectory(settings.DataDirectory);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = settings.DataDirectory });
        builder.WebHost.UseUrls(settings.BaseUrl);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddFhirServer(o =>
        {
            o.Store = settings.Store == "postgres" ? FhirStoreKind.Postgres : FhirStoreKind.Sqlite;
            o.DataDirectory = Path.Combine(settings.DataDirectory, "fhir");
            o.PostgresConnectionString = settings.PostgresConnectionString;
        });
        builder.Services.AddConsentFhirRecords();
        builder.Services.AddConsent(o =>
        {
            o.Ca = new DeviceCaOptions { DataDirectory = Path.Combine(settings.DataDirectory, "device-ca") };
            // A site trusts the device makers it buys from by placing their root certificates (PEM) here.
            o.Attestation = new AttestationOptions
            {
                ManufacturerRootsPem = AttestationOptions.LoadManufacturerRoots(Path.Combine(settings.DataDirectory, "manufacturer-roots")),
            };
        });
        var app = builder.Build();
        app.MapGet("/health", () => Results.Json(new HealthReport("ok", ServerParts.Available), HostJsonContext.Default.HealthReport));
        app.MapFhir("/fhir");
        app.MapConsentApi();
        app.MapAttestationApi();
        return app;
    }
}

/// <summary>What the server offers today; the rest arrives with its issue.</summary>
internal static class ServerParts
{
    public static IReadOnlyList<string> Available { get; } =
        ["health", "FHIR R4 REST API (/fhir)", "consent decision API (/consent/v1)", "device attestation API (/attestation/v1)"];
}

internal sealed record HealthReport(string Status, IReadOnlyList<string> Parts);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class HostJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
