using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Http;
using PatientStream.Consent.Records;

namespace PatientStream.Consent.Tests.Fixtures;

/// <summary>The consent and attestation APIs on a real Kestrel at 127.0.0.1 on a free port.</summary>
public sealed class ConsentServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ConsentServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ConsentServer> StartAsync(IConsentRecords records, TimeProvider clock, string dataDirectory, IReadOnlyList<string> manufacturerRoots)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(records);
        builder.Services.AddConsent(o =>
        {
            o.Ca = new DeviceCaOptions { DataDirectory = dataDirectory };
            o.Attestation = o.Attestation with { ManufacturerRootsPem = manufacturerRoots };
            o.DecisionAuditPeriod = TimeSpan.FromMinutes(15);
        });
        var app = builder.Build();
        app.MapConsentApi();
        app.MapAttestationApi();
        await app.StartAsync();
        return new ConsentServer(app, new Uri(app.Urls.First() + "/"));
    }

    public HttpClient Client(HttpMessageHandler? handler = null) =>
        new(handler ?? new SocketsHttpHandler(), disposeHandler: true) { BaseAddress = Address };

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        // The container disposes the device CA with the other singletons.
        await _app.DisposeAsync();
    }
}
