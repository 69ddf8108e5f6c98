using System.Diagnostics;
using System.Globalization;

namespace PatientStream.Mqtt.Bench;

/// <summary>
/// Publish throughput (QoS 0 and 1; 1 and N connections), pub→sub latency and the managed memory of many idle
/// connections for our client, each next to mosquitto_pub/mosquitto_sub against the same broker in the same run.
/// </summary>
public sealed class MqttBench(MqttBenchOptions options)
{
    private readonly MqttBenchOptions _options = Validated(options);
    private readonly byte[] _payload = CreatePayload(options.PayloadBytes);

    private static MqttBenchOptions Validated(MqttBenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    private static byte[] CreatePayload(int size) => [.. Enumerable.Repeat((byte)'x', size)];

    public async Task<IReadOnlyList<MqttBenchRow>> RunAsync(CancellationToken cancellationToken)
    {
        var baseline = new MosquittoBaseline(_options, _payload.Length);
        var rows = new List<MqttBenchRow>();
        // Warm the JIT and the broker so the first scenario is not penalised.
        await ThroughputAsync(1, 10_000, MqttQualityOfService.AtMostOnce, cancellationToken).ConfigureAwait(false);

        foreach (var (qos, total) in new[] { (MqttQualityOfService.AtMostOnce, _options.ThroughputMessages), (MqttQualityOfService.AtLeastOnce, _options.Qos1Messages) })
        {
            foreach (var connections in new[] { 1, _options.Connections })
            {
                var ours = await ThroughputAsync(connections, total, qos, cancellationToken).ConfigureAwait(false);
                var theirs = await baseline.ThroughputAsync(connections, total, (int)qos, cancellationToken).ConfigureAwait(false);
                rows.Add(new MqttBenchRow($"publish QoS {(int)qos}, {connections} connection(s), {_payload.Length} B", "msgs/s", ours, theirs)
                {
                    Note = qos == MqttQualityOfService.AtLeastOnce ? $"ours with a {_options.MaxInflight}-message inflight window; mosquitto_pub with libmosquitto's default (20)" : null,
                });
            }
        }

        var (p50, p99) = await LatencyAsync(cancellationToken).ConfigureAwait(false);
        var (baseP50, baseP99) = await baseline.LatencyAsync(_options.LatencySamples, cancellationToken).ConfigureAwait(false);
        rows.Add(new MqttBenchRow("pub→sub latency p50, QoS 1", "ms", p50, baseP50));
        rows.Add(new MqttBenchRow("pub→sub latency p99, QoS 1", "ms", p99, baseP99));

        var megabytes = await IdleConnectionMemoryAsync(_options.MemoryConnections, tls: null, cancellationToken).ConfigureAwait(false);
        rows.Add(new MqttBenchRow($"managed memory, {_options.MemoryConnections} idle connections", "MB", megabytes, null)
        {
            Note = "GC.GetTotalMemory after a full collection, minus the same before connecting; target < 100 MB",
        });
        if (_options.TlsForConnection is { } tls)
        {
            var tlsMegabytes = await IdleConnectionMemoryAsync(_options.MemoryConnections, tls, cancellationToken).ConfigureAwait(false);
            rows.Add(new MqttBenchRow($"managed memory, {_options.MemoryConnections} idle TLS connections, one client certificate each", "MB", tlsMegabytes, null)
            {
                Note = "as above, mutual TLS; target < 100 MB",
            });
        }
        return rows;
    }

    private MqttClientOptions ClientOptions(string id) => new()
    {
        Host = _options.Host,
        Port = _options.Port,
        ClientId = id,
        MaxInflight = _options.MaxInflight,
        MaxQueuedMessages = 10_000,
        AutoReconnect = false,
    };

    /// <summary>Messages per second from the first publication until the broker acknowledged a QoS 1 fence sent after the last.</summary>
    public async Task<double> ThroughputAsync(int connections, int total, MqttQualityOfService qos, CancellationToken cancellationToken)
    {
        var topic = "bench/throughput/" + Guid.NewGuid().ToString("N");
        var clients = new List<MqttClient>();
        try
        {
            for (var i = 0; i < connections; i++)
            {
                var client = new MqttClient(ClientOptions($"bench-{i}-{Guid.NewGuid():N}"));
                clients.Add(client);
                await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            var perClient = total / connections;
            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(c => PublishManyAsync(c, topic, perClient, qos, cancellationToken))).ConfigureAwait(false);
            stopwatch.Stop();
            return perClient * connections / stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task PublishManyAsync(MqttClient client, string topic, int count, MqttQualityOfService qos, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessage(topic, _payload) { QualityOfService = qos };
        var outstanding = new Queue<Task<MqttPublishResult>>();
        for (var i = 0; i < count; i++)
        {
            var publish = client.PublishAsync(message, cancellationToken);
            if (publish.IsCompletedSuccessfully)
            {
                continue;
            }
            outstanding.Enqueue(publish.AsTask());
            // Bound the callers' own bookkeeping; the client's window and queue bound everything else.
            if (outstanding.Count >= 2_000)
            {
                await outstanding.Dequeue().ConfigureAwait(false);
            }
        }
        while (outstanding.Count > 0)
        {
            await outstanding.Dequeue().ConfigureAwait(false);
        }
        // Publications leave one connection in order, so this acknowledgement means the broker has read them all.
        await client.PublishAsync(message with { QualityOfService = MqttQualityOfService.AtLeastOnce }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One message at a time: publish, wait for it at the subscriber, record the round trip.</summary>
    public async Task<(double P50, double P99)> LatencyAsync(CancellationToken cancellationToken)
    {
        var topic = "bench/latency/" + Guid.NewGuid().ToString("N");
        await using var subscriber = new MqttClient(ClientOptions("bench-sub-" + Guid.NewGuid().ToString("N")));
        await using var publisher = new MqttClient(ClientOptions("bench-pub-" + Guid.NewGuid().ToString("N")));
        await subscriber.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await publisher.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await subscriber.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, cancellationToken).ConfigureAwait(false);
        var samples = new double[_options.LatencySamples];
        var message = new MqttApplicationMessage(topic, _payload);
        for (var i = -100; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var publish = publisher.PublishAsync(message, cancellationToken);
            await subscriber.Messages.ReadAsync(cancellationToken).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            await publish.ConfigureAwait(false);
            if (i >= 0)
            {
                samples[i] = elapsed;
            }
        }
        return (Percentile(samples, 0.50), Percentile(samples, 0.99));
    }

    public static double Percentile(double[] samples, double quantile)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var sorted = samples.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
    }

    /// <summary>Managed memory held by <paramref name="count"/> connected, idle clients.</summary>
    public async Task<double> IdleConnectionMemoryAsync(int count, Func<int, MqttTlsOptions>? tls, CancellationToken cancellationToken)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clients = new MqttClient[count];
        try
        {
            for (var start = 0; start < count; start += 50)
            {
                var batch = Enumerable.Range(start, Math.Min(50, count - start)).Select(async i =>
                {
                    clients[i] = new MqttClient(ClientOptions("bench-idle-" + i.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")) with
                    {
                        KeepAlive = TimeSpan.FromSeconds(60),
                        Port = tls is null ? _options.Port : _options.TlsPort,
                        Tls = tls?.Invoke(i),
                    });
                    await clients[i].ConnectAsync(cancellationToken).ConfigureAwait(false);
                });
                await Task.WhenAll(batch).ConfigureAwait(false);
            }
            var after = GC.GetTotalMemory(forceFullCollection: true);
            GC.KeepAlive(clients);
            return (after - before) / (1024.0 * 1024.0);
        }
        finally
        {
            foreach (var client in clients)
            {
                if (client is not null)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
