using PatientStream.EdgeAgent.Buffer;
using PatientStream.Kafka;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Buffer;

[Collection(EdgeTestGroup.Name)]
public sealed class ForwarderTests(KafkaFixture kafka) : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("edge-forwarder");
    private readonly EdgeMetrics _metrics = new();

    [Fact]
    public async Task Batches_buffer_while_Kafka_is_unreachable_then_drain_in_order_per_device()
    {
        var topic = KafkaFixture.UniqueTopic("raw");
        await using var buffer = DurableBuffer.Open(new BufferOptions { Path = _folder.Combine("buffer.db"), MinFreeDiskBytes = 0 }, _metrics);
        for (var seq = 1; seq <= 20; seq++)
        {
            foreach (var device in new[] { "dev-a", "dev-b", "dev-c" })
            {
                await buffer.AppendAsync(Readings.Entry(device, seq, "Patient/" + device), CancellationToken.None);
            }
        }

        using var kafkaBack = new ManualResetEventSlim();
        var builds = 0;
        KafkaProducer Build()
        {
            if (Interlocked.Increment(ref builds) == 1)
            {
                // Nothing listens on this port: every delivery fails once the message timeout passes.
                return new KafkaProducer(new KafkaOptions { BootstrapServers = $"127.0.0.1:{FreePort.Next()}", MessageTimeoutMs = 1_000 });
            }
            Assert.True(kafkaBack.Wait(s_deadline), "the test never let Kafka come back");
            return new KafkaProducer(kafka.Options("edge-forwarder"));
        }

        await using var watcher = new RawTopicWatcher(kafka.BootstrapServers, topic);
        var forwarder = new Forwarder(buffer, Build, new ForwarderOptions { Topic = topic, Window = 16 }, _metrics);
        using var stop = new CancellationTokenSource();
        var failure = forwarder.NextFailure;
        var run = forwarder.RunAsync(stop.Token);

        await failure.WaitAsync(s_deadline);
        Assert.Equal(60, buffer.Count);
        for (var seq = 21; seq <= 25; seq++)
        {
            await buffer.AppendAsync(Readings.Entry("dev-a", seq, "Patient/dev-a"), CancellationToken.None);
        }
        kafkaBack.Set();

        await watcher.WaitUntilAsync(seen => seen.Count >= 65, s_deadline, "all 65 batches in Kafka");
        var received = watcher.Seen;
        // A consumer may see the last records before their delivery reports reach the forwarder; no signal for that.
        using (var reported = new CancellationTokenSource(s_deadline))
        {
            while (_metrics.Forwarded < 65)
            {
                await Task.Delay(20, reported.Token);
            }
        }
        await stop.CancelAsync();
        await run.WaitAsync(s_deadline);
        // Deliveries are deleted with the buffer's next commit; closing it commits what is queued.
        await buffer.DisposeAsync();
        using var reopenedMetrics = new EdgeMetrics();
        await using var reopened = DurableBuffer.Open(new BufferOptions { Path = _folder.Combine("buffer.db"), MinFreeDiskBytes = 0 }, reopenedMetrics);

        Assert.All(received, r => Assert.Equal(r.Reading.Patient, r.Key));
        foreach (var device in received.GroupBy(r => r.Reading.Device))
        {
            var seqs = device.Select(r => r.Reading.Batch.Seq).ToList();
            Assert.Equal(seqs.Distinct().Order(), seqs);
        }
        Assert.Equal(25, received.Count(r => r.Reading.Device == "dev-a"));
        Assert.Equal(0, reopened.Count);
        Assert.True(_metrics.Snapshot().ForwardFailures > 0);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _folder.Dispose();
    }
}
