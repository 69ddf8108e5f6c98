using PatientStream.Consent.Client;
using PatientStream.EdgeAgent.Audit;
using PatientStream.EdgeAgent.Buffer;
using PatientStream.EdgeAgent.Gate;
using PatientStream.EdgeAgent.Registry;
using PatientStream.EdgeAgent.Tests.Agent;
using PatientStream.Mqtt;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Registry;

/// <summary>The agent asking the site's real consent service (decisions, bindings, revocations) through its clients.</summary>
[Collection(EdgeTestGroup.Name)]
public sealed class ConsentAtTheEdgeTests(KafkaFixture kafka) : IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_ttl = TimeSpan.FromSeconds(30);
    private readonly MosquittoFixture _broker = new();
    private readonly TempFolder _folder = new("edge-consent-agent");
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private ConsentSite? _site;

    private ConsentSite Site => _site!;

    public async Task InitializeAsync()
    {
        await _broker.InitializeAsync();
        _site = await ConsentSite.StartAsync();
        await Site.BindAsync("dev-1", "Patient/1");
        await Site.BindAsync("dev-2", "Patient/2");
        await Site.ConsentAsync("Patient/1", active: true);
        await Site.ConsentAsync("Patient/2", active: true);
    }

    private sealed record Running(EdgeAgentService Agent, RevocationListClient Revocations, CancellationTokenSource Stop, Task Run, HttpClient Http)
        : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Run.WaitAsync(s_deadline);
            Agent.Dispose();
            Stop.Dispose();
            Http.Dispose();
        }
    }

    private async Task<Running> StartAgentAsync(string topic)
    {
        var http = Site.Client();
        var revocations = new RevocationListClient(http, _clock, TimeSpan.FromHours(1));
        Assert.True(await revocations.RefreshAsync(CancellationToken.None));
        var devices = new ConsentServiceDevices(http, revocations, _clock, s_ttl);
        var consent = new ConsentServiceDecider(new ConsentDecisionClient(http, new ConsentClientOptions { CacheTtl = s_ttl }, _clock));
        var options = EdgeAgentOptions.InFolder(_folder.Path, new MqttClientOptions { Port = _broker.Port, ClientId = "edge-consent" }, kafka.Options("edge")) with
        {
            Buffer = new BufferOptions { Path = _folder.Combine("buffer.db"), MinFreeDiskBytes = 0 },
            Forwarder = new ForwarderOptions { Topic = topic },
        };
        var agent = new EdgeAgentService(options, devices, consent);
        var stop = new CancellationTokenSource();
        var run = agent.RunAsync(stop.Token);
        await agent.Ready.WaitAsync(s_deadline);
        return new Running(agent, revocations, stop, run, http);
    }

    private static bool Has(IReadOnlyList<(string Key, Kafka.Contracts.RawReading Reading)> seen, string device, long seq) =>
        seen.Any(r => r.Reading.Device == device && r.Reading.Batch.Seq == seq);

    [Fact]
    public async Task Withdrawn_consent_stops_the_patients_data_at_the_edge_once_the_cache_TTL_has_passed()
    {
        var topic = Testing.KafkaFixture.UniqueTopic("raw");
        await using var watcher = new RawTopicWatcher(kafka.BootstrapServers, topic);
        await using var running = await StartAgentAsync(topic);
        await using var devices = await DevicePublisher.ConnectAsync(_broker.Port, "devices");
        await DevicePublisher.PublishAsync(devices, ["dev-1", "dev-2"], 1, 5, CancellationToken.None);
        await watcher.WaitUntilAsync(seen => Has(seen, "dev-1", 5) && Has(seen, "dev-2", 5), s_deadline, "the batches before withdrawal");

        await Site.ConsentAsync("Patient/1", active: false);
        _clock.Advance(s_ttl);
        await DevicePublisher.PublishAsync(devices, ["dev-1", "dev-2"], 6, 10, CancellationToken.None);
        await watcher.WaitUntilAsync(seen => Has(seen, "dev-2", 10), s_deadline, "the other patient's batches");

        var seen = watcher.Seen;
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), seen.Where(r => r.Reading.Device == "dev-2").Select(r => r.Reading.Batch.Seq));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), seen.Where(r => r.Reading.Device == "dev-1").Select(r => r.Reading.Batch.Seq));
        Assert.All(seen, r => Assert.Contains("Consent/treat-", Assert.Single(r.Reading.Consent.Consents!), StringComparison.Ordinal));
        // Messages are gated in arrival order, so dev-1's later batches were judged before dev-2's last one.
        Assert.Equal(5, running.Agent.Metrics.Snapshot().RejectedByReason[GateReasons.ConsentDenied]);
        var refused = JsonLinesAudit.Read(_folder.Combine("audit.jsonl")).Where(a => a.Reason == GateReasons.ConsentDenied).ToList();
        Assert.Equal([6L, 7, 8, 9, 10], refused.Select(a => a.Seq!.Value));
        Assert.All(refused, a => Assert.Equal(("dev-1", "Patient/1"), (a.Device, a.Patient)));
    }

    [Fact]
    public async Task A_revoked_device_is_refused_at_the_edge_from_the_next_revocation_list()
    {
        var topic = Testing.KafkaFixture.UniqueTopic("raw");
        await using var watcher = new RawTopicWatcher(kafka.BootstrapServers, topic);
        await using var running = await StartAgentAsync(topic);
        await using var devices = await DevicePublisher.ConnectAsync(_broker.Port, "devices");
        await DevicePublisher.PublishAsync(devices, ["dev-1", "dev-2"], 1, 3, CancellationToken.None);
        await watcher.WaitUntilAsync(seen => Has(seen, "dev-1", 3) && Has(seen, "dev-2", 3), s_deadline, "the batches before revocation");

        await Site.RevokeAsync("dev-1");
        Assert.True(await running.Revocations.RefreshAsync(CancellationToken.None));
        await DevicePublisher.PublishAsync(devices, ["dev-1", "dev-2"], 4, 6, CancellationToken.None);
        await watcher.WaitUntilAsync(seen => Has(seen, "dev-2", 6), s_deadline, "the other device's batches");

        Assert.DoesNotContain(watcher.Seen, r => r.Reading.Device == "dev-1" && r.Reading.Batch.Seq > 3);
        Assert.Equal(3, running.Agent.Metrics.Snapshot().RejectedByReason[GateReasons.Revoked]);
    }

    [Fact]
    public async Task The_site_runner_forwards_a_bound_consented_device_and_refuses_an_unknown_one()
    {
        var topic = Testing.KafkaFixture.UniqueTopic("raw");
        await using var watcher = new RawTopicWatcher(kafka.BootstrapServers, topic);
        var options = EdgeAgentOptions.InFolder(_folder.Path, new MqttClientOptions { Port = _broker.Port, ClientId = "edge-site" }, kafka.Options("edge")) with
        {
            Buffer = new BufferOptions { Path = _folder.Combine("buffer.db"), MinFreeDiskBytes = 0 },
            Forwarder = new ForwarderOptions { Topic = topic },
        };
        var started = new TaskCompletionSource<EdgeAgentService>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var run = EdgeSiteRunner.RunAsync(options, new EdgeRegistryOptions { ConsentService = Site.Address }, null, a => started.SetResult(a), stop.Token);
        var agent = await started.Task.WaitAsync(s_deadline);
        await agent.Ready.WaitAsync(s_deadline);

        await using var devices = await DevicePublisher.ConnectAsync(_broker.Port, "devices");
        await DevicePublisher.PublishAsync(devices, ["dev-ghost"], 1, 1, CancellationToken.None);
        await DevicePublisher.PublishAsync(devices, ["dev-1"], 1, 3, CancellationToken.None);
        await watcher.WaitUntilAsync(seen => Has(seen, "dev-1", 3), s_deadline, "the bound device's batches");

        Assert.Equal(1, agent.Metrics.Snapshot().RejectedByReason[GateReasons.UnknownDevice]);
        Assert.All(watcher.Seen, r => Assert.Equal(("dev-1", "Patient/1", "permit"), (r.Reading.Device, r.Key, r.Reading.Consent.Decision)));
        await stop.CancelAsync();
        await run.WaitAsync(s_deadline);
    }

    public async Task DisposeAsync()
    {
        if (_site is not null)
        {
            await _site.DisposeAsync();
        }
        await _broker.DisposeAsync();
        _folder.Dispose();
    }
}
