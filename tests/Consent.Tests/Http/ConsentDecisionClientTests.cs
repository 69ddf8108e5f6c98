using PatientStream.Consent.Client;
using PatientStream.Consent.Policy;
using PatientStream.Consent.Tests.Fixtures;
using PatientStream.Consent.Tests.Policy;
using P = PatientStream.Consent.Tests.Policy.ProvisionBuilder;

namespace PatientStream.Consent.Tests.Http;

public sealed class ConsentDecisionClientTests : IAsyncLifetime, IDisposable
{
    private static readonly ConsentRequest Request = new("Patient/123", "TREAT", ["http://loinc.org|8867-4"]);
    private readonly TempDirectory _dir = new();
    private readonly RecordedConsentRecords _records = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
    private readonly CountingHandler _handler = new();
    private ConsentServer _server = null!;
    private HttpClient _http = null!;
    private ConsentDecisionClient _client = null!;

    public async Task InitializeAsync()
    {
        _records.PutConsent(ConsentBuilder.Given("c1", P.Permit()));
        _server = await ConsentServer.StartAsync(_records, _clock, _dir.File("ca"), []);
        _http = _server.Client(_handler);
        _client = new ConsentDecisionClient(_http, new ConsentClientOptions { CacheTtl = TimeSpan.FromSeconds(60) }, _clock);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Fresh_decision_is_served_from_the_cache_and_a_stale_one_is_asked_again()
    {
        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);
        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);
        Assert.Equal(1, _handler.Decisions);

        _clock.Advance(TimeSpan.FromSeconds(61));
        await _client.DecideAsync(Request, CancellationToken.None);
        Assert.Equal(2, _handler.Decisions);
    }

    [Fact]
    public async Task Changed_consent_invalidates_the_cached_decision()
    {
        await _client.RefreshChangesAsync(CancellationToken.None);
        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);

        _records.PutConsent(ConsentBuilder.Given("c1", P.Permit(), status: "inactive"));
        var changes = await _client.RefreshChangesAsync(CancellationToken.None);

        Assert.Equal(["Patient/123"], changes.Patients);
        Assert.Equal(0, _client.CachedCount);
        Assert.Equal(DecisionOutcome.Deny, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);
    }

    [Fact]
    public async Task Unreachable_service_keeps_a_fresh_decision_and_fails_closed_once_it_is_stale()
    {
        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);
        await _server.StopAsync();

        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);

        _clock.Advance(TimeSpan.FromSeconds(61));
        var decision = await _client.DecideAsync(Request, CancellationToken.None);
        Assert.Equal(DecisionOutcome.Deny, decision.Decision);
        Assert.Contains("failing closed", decision.Reasons[0], StringComparison.Ordinal);

        var other = await _client.DecideAsync(Request with { Purpose = "HRESCH" }, CancellationToken.None);
        Assert.Equal(DecisionOutcome.Deny, other.Decision);
    }

    /// <summary>Counts the decision requests that actually leave the client.</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _decisions;

        public int Decisions => Volatile.Read(ref _decisions);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/decide", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _decisions);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
