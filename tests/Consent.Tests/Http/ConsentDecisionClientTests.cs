using PatientStream.Consent.Client;
using PatientStream.Consent.Policy;
using PatientStream.Consent.Tests.Fixtures;
using PatientStream.Consent.Tests.Policy;
using P = PatientStream.Consent.Tests.Policy.ProvisionBuilder;
using PatientStream.Testing;

namespace PatientStream.Consent.Tests.Http;

public sealed class ConsentDecisionClientTests : ConsentServerTest
{
    private static readonly ConsentRequest Request = new("Patient/123", "TREAT", ["http://loinc.org|8867-4"]);
    private readonly CountingHandler _handler = new();
    private ConsentDecisionClient _client = null!;

    protected override HttpMessageHandler Handler => _handler;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Store.PutConsentAsync(ConsentBuilder.Given("c1", P.Permit()));
        _client = new ConsentDecisionClient(Http, new ConsentClientOptions { CacheTtl = TimeSpan.FromSeconds(60) }, Clock);
    }

    [Fact]
    public async Task Fresh_decision_is_served_from_the_cache_and_a_stale_one_is_asked_again()
    {
        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);
        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);
        Assert.Equal(1, _handler.Decisions);

        Clock.Advance(TimeSpan.FromSeconds(61));
        await _client.DecideAsync(Request, CancellationToken.None);
        Assert.Equal(2, _handler.Decisions);
    }

    [Fact]
    public async Task Readings_at_other_times_reuse_a_decision_that_does_not_depend_on_time()
    {
        var first = await _client.DecideAsync(Request with { DataTime = Clock.GetUtcNow().AddSeconds(-5) }, CancellationToken.None);
        var second = await _client.DecideAsync(Request with { DataTime = Clock.GetUtcNow().AddSeconds(-1) }, CancellationToken.None);

        Assert.Equal(DecisionOutcome.Permit, first.Decision);
        Assert.Equal(DecisionOutcome.Permit, second.Decision);
        Assert.Equal(1, _handler.Decisions);
    }

    [Fact]
    public async Task Decision_that_depends_on_the_data_time_is_asked_per_reading_time()
    {
        await Store.PutConsentAsync(ConsentBuilder.Given("c1", P.Permit().Nested(P.Deny().DataPeriod("2026-11-21T00:00:00Z", "2026-11-21T06:00:00Z"))));

        var night = await _client.DecideAsync(Request with { DataTime = new DateTimeOffset(2026, 11, 21, 3, 0, 0, TimeSpan.Zero) }, CancellationToken.None);
        var day = await _client.DecideAsync(Request with { DataTime = new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero) }, CancellationToken.None);
        var nightAgain = await _client.DecideAsync(Request with { DataTime = new DateTimeOffset(2026, 11, 21, 3, 0, 0, TimeSpan.Zero) }, CancellationToken.None);

        Assert.Equal((DecisionOutcome.Deny, DecisionOutcome.Permit, DecisionOutcome.Deny), (night.Decision, day.Decision, nightAgain.Decision));
        Assert.Equal(2, _handler.Decisions);
    }

    [Fact]
    public async Task Changed_consent_invalidates_the_cached_decision()
    {
        await _client.RefreshChangesAsync(CancellationToken.None);
        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);

        await Store.PutConsentAsync(ConsentBuilder.Given("c1", P.Permit(), status: "inactive"));
        var changes = await _client.RefreshChangesAsync(CancellationToken.None);

        Assert.Equal(["Patient/123"], changes.Patients);
        Assert.Equal(0, _client.CachedCount);
        Assert.Equal(DecisionOutcome.Deny, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);
    }

    [Fact]
    public async Task Unreachable_service_keeps_a_fresh_decision_and_fails_closed_once_it_is_stale()
    {
        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);
        await Server.StopAsync();

        Assert.Equal(DecisionOutcome.Permit, (await _client.DecideAsync(Request, CancellationToken.None)).Decision);

        Clock.Advance(TimeSpan.FromSeconds(61));
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
