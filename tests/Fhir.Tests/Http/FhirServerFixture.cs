using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatientStream.Fhir.Http;
using PatientStream.Fhir.Tests.External;

namespace PatientStream.Fhir.Tests.Http;

/// <summary>A real Kestrel server on a free loopback port, serving the FHIR API over a temporary SQLite store.</summary>
public sealed class FhirServerFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ps-fhir-http-").FullName;
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Every resource the server returned to <see cref="Client"/>; checked against the official schema at the end.</summary>
    public ResponseRecorder Recorder { get; } = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddFhirServer(o =>
        {
            o.Store = FhirStoreKind.Sqlite;
            o.DataDirectory = _directory;
        });
        _app = builder.Build();
        _app.MapFhir();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.TrimEnd('/') + "/fhir/");
        Client = new HttpClient(Recorder) { BaseAddress = BaseAddress };
    }

    public async Task DisposeAsync()
    {
        // Every response the suite received must be valid FHIR per the official JSON schema.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var (code, report) = await Recorder.CheckSchemaAsync(timeout.Token);
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        if (code != 0)
        {
            throw new InvalidOperationException("Responses failed the fhir.schema.json check: " + report);
        }
    }
}
