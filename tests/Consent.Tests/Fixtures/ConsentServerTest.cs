using PatientStream.Testing;
using PatientStream.Testing.Records;

namespace PatientStream.Consent.Tests.Fixtures;

/// <summary>A test against the consent service on a real Kestrel, with records, a hand-moved clock and a client.</summary>
public abstract class ConsentServerTest : IAsyncLifetime, IDisposable
{
    protected TempFolder Dir { get; } = new("consent");

    /// <summary>The FHIR store behind the service: Consents go in, AuditEvents come out.</summary>
    protected ConsentRecordsStore Store { get; private set; } = null!;

    protected ManualClock Clock { get; } = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    protected ConsentServer Server { get; private set; } = null!;

    protected HttpClient Http { get; private set; } = null!;

    /// <summary>Manufacturer roots the server trusts for X.509 attestation.</summary>
    protected virtual IReadOnlyList<string> ManufacturerRoots => [];

    /// <summary>The client's handler (null: a plain socket handler).</summary>
    protected virtual HttpMessageHandler? Handler => null;

    public virtual async Task InitializeAsync()
    {
        Store = await ConsentRecordsStore.OpenAsync();
        Server = await ConsentServer.StartAsync(Store.Records, Clock, Dir.Combine("ca"), ManufacturerRoots);
        Http = Server.Client(Handler);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Store.DisposeAsync();
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Dir.Dispose();
        }
    }
}
