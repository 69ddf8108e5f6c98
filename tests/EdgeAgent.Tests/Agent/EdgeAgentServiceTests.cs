using System.Text;
using PatientStream.EdgeAgent.Audit;
using PatientStream.EdgeAgent.Buffer;
using PatientStream.EdgeAgent.Gate;
using PatientStream.EdgeAgent.Tests.Gate;
using PatientStream.Kafka;
using PatientStream.Mqtt;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Agent;

[Collection(EdgeTestGroup.Name)]
public sealed class EdgeAgentServiceTests(KafkaFixture kafka) : IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);
    private readonly MosquittoFixture _broker = new();
    private readonly TempFolder _folder = new("edge-agent");

    public Task InitializeAsync() => _broker.InitializeAsync();

    private EdgeAgentOptions Options(string topic) =>
        EdgeAgentOptions.InFolder(_folder.Path,
            new MqttClientOptions { Port = _broker.Port, ClientId = "edge-test" },
            kafka.Options("edge-agent")) with
        {
            Buffer = new BufferOptions { Path = _folder.Combine("buffer.db"), MinFreeDiskBytes = 0 },
            Forwarder = new ForwarderOptions { Topic = topic },
        };

    [Fact]
    public async Task Permitted_batches_reach_Kafka_and_refused_or_malformed_ones_stay_at_the_edge()
    {
        var topic = KafkaFixture.UniqueTopic("raw");
        var devices = new DeviceTable().Add("dev-1", "Patient/1").Add("dev-2", "Patient/2").Add("dev-revoked", "Patient/3", revoked: true);
        var consent = new ConsentTable().Permit("Patient/1", "heart-rate").Permit("Patient/2", "heart-rate").Permit("Patient/3", "heart-rate");
        using var agent = new EdgeAgentService(Options(topic), devices, consent);
        using var stop = new CancellationTokenSource();
        var run = agent.RunAsync(stop.Token);
        await agent.Ready.WaitAsync(s_deadline);
        await using var watcher = new RawTopicWatcher(kafka.BootstrapServers, topic);

        await using var publisher = await DevicePublisher.ConnectAsync(_broker.Port, "devices");
        await DevicePublisher.PublishAsync(publisher, ["dev-1", "dev-revoked", "dev-2"], 1, 10, CancellationToken.None);
        await publisher.PublishAsync("ps/v1/devices/dev-1/readings", Encoding.UTF8.GetBytes("{garbage"));
        // A last permitted batch: once it is in Kafka, every message before it has passed the gate.
        await DevicePublisher.PublishAsync(publisher, ["dev-1"], 11, 11, CancellationToken.None);

        await watcher.WaitUntilAsync(seen => seen.Any(r => r.Reading.Batch.Seq == 11), s_deadline, "the last batch in Kafka");
        await stop.CancelAsync();
        await run.WaitAsync(s_deadline);

        var seen = watcher.Seen;
        Assert.DoesNotContain(seen, r => r.Reading.Device == "dev-revoked");
        Assert.Equal(Enumerable.Range(1, 11).Select(i => (long)i), seen.Where(r => r.Reading.Device == "dev-1").Select(r => r.Reading.Batch.Seq));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), seen.Where(r => r.Reading.Device == "dev-2").Select(r => r.Reading.Batch.Seq));
        Assert.All(seen, r => Assert.Equal(r.Reading.Patient, r.Key));
        var metrics = agent.Metrics.Snapshot();
        Assert.Equal(10, metrics.RejectedByReason[GateReasons.Revoked]);
        Assert.Equal(1, metrics.Quarantined);
        Assert.Equal(21, metrics.Forwarded);
        var audit = JsonLinesAudit.Read(_folder.Combine("audit.jsonl"));
        Assert.Equal(10, audit.Count(a => a.Reason == GateReasons.Revoked));
        Assert.Equal(21, audit.Count(a => a.Outcome == "permit"));
        await using var buffer = DurableBuffer.Open(new BufferOptions { Path = _folder.Combine("buffer.db"), MinFreeDiskBytes = 0 }, new EdgeMetrics());
        var quarantined = Assert.Single(buffer.ReadQuarantine());
        Assert.Equal("{garbage", Encoding.UTF8.GetString(quarantined.Payload));
        Assert.Equal(0, buffer.Count);
    }

    [Fact]
    public async Task After_a_broker_restart_that_lost_the_session_the_agent_subscribes_again()
    {
        var topic = KafkaFixture.UniqueTopic("raw");
        using var agent = new EdgeAgentService(Options(topic), new DeviceTable().Add("dev-1", "Patient/1"), new ConsentTable().Permit("Patient/1", "heart-rate"));
        var subscriptions = System.Threading.Channels.Channel.CreateBounded<bool>(10);
        agent.Subscribed += (_, _) => subscriptions.Writer.TryWrite(true);
        using var stop = new CancellationTokenSource();
        var run = agent.RunAsync(stop.Token);
        using var deadline = new CancellationTokenSource(s_deadline);
        await subscriptions.Reader.ReadAsync(deadline.Token);
        await using var watcher = new RawTopicWatcher(kafka.BootstrapServers, topic);
        await using (var before = await DevicePublisher.ConnectAsync(_broker.Port, "devices"))
        {
            await DevicePublisher.PublishAsync(before, ["dev-1"], 1, 1, CancellationToken.None);
        }
        await watcher.WaitUntilAsync(seen => seen.Count == 1, s_deadline, "the batch before the restart");

        await _broker.RestartAsync();
        await subscriptions.Reader.ReadAsync(deadline.Token);
        await using (var after = await DevicePublisher.ConnectAsync(_broker.Port, "devices"))
        {
            await DevicePublisher.PublishAsync(after, ["dev-1"], 2, 2, CancellationToken.None);
        }

        await watcher.WaitUntilAsync(seen => seen.Any(r => r.Reading.Batch.Seq == 2), s_deadline, "the batch after the restart");
        await stop.CancelAsync();
        await run.WaitAsync(s_deadline);
    }

    [Fact]
    public void Options_without_a_client_id_or_Kafka_fail_at_start_up()
    {
        var options = Options("t") with { Mqtt = new MqttClientOptions { Port = _broker.Port }, Kafka = new KafkaOptions() };

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => new EdgeAgentService(options, new DeviceTable(), new ConsentTable()));

        Assert.Contains("ClientId", error.Message, StringComparison.Ordinal);
        Assert.Contains("BootstrapServers", error.Message, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        _folder.Dispose();
    }
}
