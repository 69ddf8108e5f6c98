using PatientStream.Consent.Client;
using PatientStream.EdgeAgent.Registry;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Registry;

/// <summary>Device bindings cached at the edge and kept current by the consent service's change feed.</summary>
public sealed class ConsentServiceDevicesTests : IAsyncLifetime
{
    private static readonly TimeSpan s_ttl = TimeSpan.FromSeconds(30);
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private ConsentSite? _site;
    private HttpClient? _http;
    private ConsentServiceDevices? _devices;

    private ConsentSite Site => _site!;

    private ConsentServiceDevices Devices => _devices!;

    public async Task InitializeAsync()
    {
        _site = await ConsentSite.StartAsync();
        await Site.BindAsync("dev-1", "Patient/1");
        _http = Site.Client();
        var revocations = new RevocationListClient(_http, _clock, TimeSpan.FromHours(1));
        Assert.True(await revocations.RefreshAsync(CancellationToken.None));
        _devices = new ConsentServiceDevices(_http, revocations, _clock, s_ttl);
        await Devices.RefreshChangesAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_binding_past_its_TTL_is_answered_without_waiting_while_the_change_feed_vouches_for_it()
    {
        Assert.Equal("Patient/1", (await Devices.FindAsync("dev-1", CancellationToken.None))?.Patient);

        _clock.Advance(s_ttl * 2);
        await Devices.RefreshChangesAsync(CancellationToken.None);
        var lookup = Devices.FindAsync("dev-1", CancellationToken.None);

        // Completed on return: the batch was not held on an HTTP request.
        Assert.True(lookup.IsCompletedSuccessfully);
        Assert.Equal("Patient/1", (await lookup)?.Patient);
    }

    [Fact]
    public async Task A_device_enrolled_after_a_refusal_is_accepted_once_the_change_feed_reports_it()
    {
        Assert.Null(await Devices.FindAsync("dev-2", CancellationToken.None));

        await Site.BindAsync("dev-2", "Patient/2");
        await Devices.RefreshChangesAsync(CancellationToken.None);

        var standing = await Devices.FindAsync("dev-2", CancellationToken.None);
        Assert.Equal("Patient/2", standing?.Patient);
        Assert.True(standing?.Attested);
    }

    [Fact]
    public async Task Without_a_feed_read_a_binding_past_its_TTL_is_asked_for_again()
    {
        Assert.Equal("Patient/1", (await Devices.FindAsync("dev-1", CancellationToken.None))?.Patient);

        // The feed has not been read since: past the TTL nothing vouches for the cached answer.
        _clock.Advance(s_ttl * 2);
        await Site.DisposeAsync();
        _site = null;

        Assert.Null(await Devices.FindAsync("dev-1", CancellationToken.None));
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_site is not null)
        {
            await _site.DisposeAsync();
        }
    }
}
