using System.Diagnostics;
using System.Diagnostics.Metrics;
using PatientStream.EdgeAgent;
using PatientStream.EdgeAgent.Buffer;
using PatientStream.EdgeAgent.Gate;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Mqtt;
using PatientStream.Testing;

namespace PatientStream.Bench.Edge;

/// <summary>
/// The edge agent (Mosquitto → gate → durable buffer → Kafka) next to raw Mosquitto pub→sub of the same ~1 KB
/// batches on the same broker in the same run; then the agent's receive→Kafka-ack latency at half the raw rate.
/// </summary>
internal sealed class EdgeBenchmark : IBenchmark
{
    private const int Devices = 50;

    public string Name => "edge";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var count = settings.Scale(30_000, 3_000);
        var broker = new MosquittoFixture(new MosquittoOptions { ExtraConfig = "max_queued_messages 0" });
        await broker.InitializeAsync().ConfigureAwait(false);
        using var cluster = EmbeddedKafkaCluster.Start();
        using var folder = new TempFolder("bench-edge");
        try
        {
            var messages = Payloads(count, seqFrom: 1);
            var samplesPerBatch = Readings(1)[0].Samples.Count;
            var bytes = messages.Average(m => m.Payload.Length);

            // Both paths are measured in steady state: warm-up passes of other payloads, the same rule for both, until
            // the JIT has optimised the hot paths. On a loaded machine that takes seconds, not a few thousand batches.
            var warmUp = Payloads(settings.Scale(5_000, 1_000), seqFrom: 2_000_000);
            var warmUpFor = TimeSpan.FromSeconds(settings.Scale(10, 0));
            await WarmUpAsync(pass => RawPubSubAsync(broker.Port, warmUp, cancellationToken), warmUpFor).ConfigureAwait(false);
            var raw = await RawPubSubAsync(broker.Port, messages, cancellationToken).ConfigureAwait(false);

            var options = EdgeAgentOptions.InFolder(folder.Path, new MqttClientOptions { Port = broker.Port, ClientId = "edge-bench", ReceiveBufferCapacity = 5_000 },
                cluster.Options("edge-bench")) with
            {
                Buffer = new BufferOptions { Path = folder.Combine("buffer.db") },
                Forwarder = new ForwarderOptions { Topic = $"bench.edge.{Guid.NewGuid():N}" },
            };
            using var agent = new EdgeAgentService(options, new AllDevices(), new PermitAll());
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var run = agent.RunAsync(stop.Token);
            await agent.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);

            // Warm-up (not measured): the first records also create the topic on the cluster, which takes about a second.
            await WarmUpAsync(pass => ThroughEdgeAsync(broker.Port, agent, Payloads(warmUp.Count, seqFrom: 1_000_000 + (pass * 100_000)), cancellationToken),
                warmUpFor).ConfigureAwait(false);
            var edge = await ThroughEdgeAsync(broker.Port, agent, messages, cancellationToken).ConfigureAwait(false);
            var halfRate = raw / 2;
            var paced = Payloads((int)Math.Max(200, halfRate * settings.Scale(5, 2)), seqFrom: count + 1);
            var (p50, p99) = await LatencyAtRateAsync(broker.Port, agent, paced, halfRate, cancellationToken).ConfigureAwait(false);
            // For context: the same latency at half of what the agent itself sustained.
            var halfEdge = edge / 2;
            var pacedEdge = Payloads((int)Math.Max(200, halfEdge * settings.Scale(5, 2)), seqFrom: count + 1 + paced.Count);
            var (_, p99Edge) = await LatencyAtRateAsync(broker.Port, agent, pacedEdge, halfEdge, cancellationToken).ConfigureAwait(false);

            await stop.CancelAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
            var size = $"{bytes:0} B";
            return
            [
                new BenchResult($"edge batches through agent (MQTT → gate → SQLite WAL → Kafka, {size})", edge, "batches/s",
                    $"raw Mosquitto QoS 1 pub→sub, {size}", raw, "≥ 0.5 × baseline", edge >= 0.5 * raw),
                new BenchResult($"edge samples through agent ({samplesPerBatch} per batch)", edge * samplesPerBatch, "samples/s",
                    "raw Mosquitto QoS 1 pub→sub", raw * samplesPerBatch, null, null),
                new BenchResult($"edge p50 MQTT receive → Kafka ack at {halfRate:0} batches/s (half raw)", p50, "ms", null, null, null, null),
                new BenchResult($"edge p99 MQTT receive → Kafka ack at {halfRate:0} batches/s (half raw)", p99, "ms", null, null, "≤ 200 ms", p99 <= 200),
                new BenchResult($"edge p99 MQTT receive → Kafka ack at {halfEdge:0} batches/s (half the agent's own rate)", p99Edge, "ms", null, null, null, null),
            ];
        }
        finally
        {
            await broker.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs warm-up passes until <paramref name="atLeast"/> has passed, at least two (one when it is zero).</summary>
    private static async Task WarmUpAsync(Func<int, Task<double>> pass, TimeSpan atLeast)
    {
        var watch = Stopwatch.StartNew();
        for (var done = 0; done < 1 || (atLeast > TimeSpan.Zero && (done < 2 || watch.Elapsed < atLeast)); done++)
        {
            await pass(done).ConfigureAwait(false);
        }
    }

    private static DeviceBatch[] Readings(long seq) =>
    [
        .. Enumerable.Range(0, 1).Select(_ => new DeviceBatch
        {
            Device = "dev-00",
            Seq = seq,
            Sent = DateTimeOffset.UtcNow,
            Samples = [.. Enumerable.Range(0, 12).Select(i => new Sample
            {
                Type = (i % 3) switch { 0 => "heart-rate", 1 => "spo2", _ => "respiratory-rate" },
                Time = DateTimeOffset.UtcNow.AddMilliseconds(i * 80),
                Value = 60 + i,
                Unit = i % 3 == 1 ? "%" : "/min",
            })],
        }),
    ];

    /// <summary>~1 KB batches spread over <see cref="Devices"/> devices, seq rising per device.</summary>
    private static List<(string Topic, byte[] Payload)> Payloads(int count, long seqFrom)
    {
        var template = Readings(0)[0];
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var device = $"dev-{i % Devices:D2}";
            var batch = template with { Device = device, Seq = seqFrom + (i / Devices) };
            return ($"ps/v1/devices/{device}/readings", ContractsJson.Serialize(batch));
        })];
    }

    private static async Task<MqttClient> ConnectAsync(int port, string clientId, CancellationToken cancellationToken)
    {
        var client = new MqttClient(new MqttClientOptions { Port = port, ClientId = clientId, ReceiveBufferCapacity = 5_000 });
        var result = await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return result.IsSuccess ? client : throw new InvalidOperationException($"broker refused {clientId}: {result.ReasonCode}");
    }

    private static async Task PublishAllAsync(MqttClient publisher, List<(string Topic, byte[] Payload)> messages, CancellationToken cancellationToken)
    {
        var pending = new Queue<Task<MqttPublishResult>>();
        foreach (var (topic, payload) in messages)
        {
            pending.Enqueue(publisher.PublishAsync(topic, payload, cancellationToken: cancellationToken).AsTask());
            if (pending.Count >= 500)
            {
                await pending.Dequeue().ConfigureAwait(false);
            }
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    private static async Task<double> RawPubSubAsync(int port, List<(string Topic, byte[] Payload)> messages, CancellationToken cancellationToken)
    {
        await using var subscriber = await ConnectAsync(port, "raw-sub", cancellationToken).ConfigureAwait(false);
        await subscriber.SubscribeAsync("ps/v1/devices/+/readings", MqttQualityOfService.AtLeastOnce, cancellationToken).ConfigureAwait(false);
        await using var publisher = await ConnectAsync(port, "raw-pub", cancellationToken).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        var publishing = PublishAllAsync(publisher, messages, cancellationToken);
        for (var seen = 0; seen < messages.Count; seen++)
        {
            await subscriber.Messages.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        watch.Stop();
        await publishing.ConfigureAwait(false);
        return messages.Count / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> ThroughEdgeAsync(int port, EdgeAgentService agent, List<(string Topic, byte[] Payload)> messages,
        CancellationToken cancellationToken)
    {
        await using var publisher = await ConnectAsync(port, "edge-pub", cancellationToken).ConfigureAwait(false);
        var before = agent.Metrics.Forwarded;
        var watch = Stopwatch.StartNew();
        await PublishAllAsync(publisher, messages, cancellationToken).ConfigureAwait(false);
        await ForwardedAsync(agent, before + messages.Count, cancellationToken).ConfigureAwait(false);
        watch.Stop();
        return messages.Count / watch.Elapsed.TotalSeconds;
    }

    private static async Task ForwardedAsync(EdgeAgentService agent, long target, CancellationToken cancellationToken)
    {
        // The bare counter: a full snapshot also queries the buffer, which would compete with the agent being measured.
        while (agent.Metrics.Forwarded < target)
        {
            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<(double P50, double P99)> LatencyAtRateAsync(int port, EdgeAgentService agent,
        List<(string Topic, byte[] Payload)> messages, double rate, CancellationToken cancellationToken)
    {
        var latencies = new List<double>(messages.Count);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EdgeMetrics.MeterName && instrument.Name == EdgeMetrics.ForwardLatencyName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (latencies)
            {
                latencies.Add(value);
            }
        });
        listener.Start();
        await using var publisher = await ConnectAsync(port, "edge-paced", cancellationToken).ConfigureAwait(false);
        var before = agent.Metrics.Forwarded;
        var watch = Stopwatch.StartNew();
        var pending = new List<Task<MqttPublishResult>>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            if (due - watch.Elapsed is { TotalMilliseconds: > 1 } ahead)
            {
                await Task.Delay(ahead, cancellationToken).ConfigureAwait(false);
            }
            pending.Add(publisher.PublishAsync(messages[i].Topic, messages[i].Payload, cancellationToken: cancellationToken).AsTask());
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
        await ForwardedAsync(agent, before + messages.Count, cancellationToken).ConfigureAwait(false);
        listener.Dispose();
        double[] sorted;
        lock (latencies)
        {
            sorted = [.. latencies.Order()];
        }
        return (Percentile(sorted, 0.50), Percentile(sorted, 0.99));
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private sealed class AllDevices : IDeviceDirectory
    {
        public ValueTask<DeviceStanding?> FindAsync(string device, CancellationToken cancellationToken) =>
            ValueTask.FromResult<DeviceStanding?>(new DeviceStanding(device, true, false, "Patient/" + device));
    }

    /// <summary>
    /// Consent as the edge sees it with a warm decision cache: every code permitted, and the same decision object
    /// handed out again for the same codes, as the consent client and <c>ConsentServiceDecider</c> do.
    /// </summary>
    private sealed class PermitAll : IConsentDecider
    {
        private EdgeConsentDecision? _last;

        public ValueTask<EdgeConsentDecision> DecideAsync(EdgeConsentRequest request, CancellationToken cancellationToken)
        {
            var last = _last;
            if (last is null || last.PermittedCodes.Count != request.Codes.Count || !request.Codes.All(last.PermittedCodes.Contains))
            {
                _last = last = new EdgeConsentDecision(EdgeConsentOutcome.Permit, request.Codes.ToHashSet(StringComparer.Ordinal), ["Consent/bench"]);
            }
            return ValueTask.FromResult(last);
        }
    }
}
