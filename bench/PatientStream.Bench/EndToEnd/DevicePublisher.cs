using System.Diagnostics;
using PatientStream.Kafka.Contracts;
using PatientStream.Mqtt;

namespace PatientStream.Bench.EndToEnd;

/// <summary>
/// Publishes device batches (contract v1, QoS 1) at a paced rate over a few MQTT connections, as many devices would.
/// Every sample's time is its publish instant, so the time a sample becomes visible downstream minus its own
/// timestamp is its publish → visible latency. A probe device publishes one heart-rate sample every
/// <see cref="ProbeInterval"/> throughout; latency is measured on its samples (cheap to look up downstream).
/// </summary>
internal sealed class DevicePublisher(int port, IReadOnlyList<string> devices, int connections) : IAsyncDisposable
{
    public const string ProbeDevice = "bench-probe";
    public const int SamplesPerBatch = 12;
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);
    private const int MaxPendingPerConnection = 500;
    private static readonly (string Type, string Unit, double Base)[] Kinds = [("heart-rate", "/min", 70), ("spo2", "%", 96), ("respiratory-rate", "/min", 15)];
    private readonly List<MqttClient> _clients = [];
    private readonly DateTimeOffset[] _lastStamp = new DateTimeOffset[devices.Count];
    private readonly long[] _seq = new long[devices.Count];
    private DateTimeOffset _probeStamp;
    private long _probeSeq;
    private long _published;

    /// <summary>Samples published so far (probe included).</summary>
    public long PublishedSamples => Interlocked.Read(ref _published);

    /// <summary>Size of one regular batch on the wire.</summary>
    public int BatchBytes => ContractsJson.Serialize(Batch(0, DateTimeOffset.UtcNow, 0)).Length;

    public static IReadOnlyList<string> DeviceNames(int count) => [.. Enumerable.Range(0, count).Select(i => $"bench-dev-{i:D4}")];

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < connections; i++)
        {
            var client = new MqttClient(new MqttClientOptions { Port = port, ClientId = $"bench-publisher-{i}", MaxQueuedMessages = 2 * MaxPendingPerConnection });
            var result = await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"broker refused publisher {i}: {result.ReasonCode}");
            }
            _clients.Add(client);
        }
    }

    /// <summary>
    /// Publishes at <paramref name="samplesPerSecond"/> for <paramref name="duration"/>, never running more than
    /// <paramref name="window"/> samples ahead of <paramref name="delivered"/> (what the pipeline has written so far):
    /// the mock Kafka cluster keeps only a few MB per partition, so an unbounded backlog would lose records there.
    /// </summary>
    public async Task RunAsync(double samplesPerSecond, TimeSpan duration, Func<long> delivered, long window, CancellationToken cancellationToken)
    {
        var pending = _clients.Select(_ => new Queue<Task<MqttPublishResult>>()).ToArray();
        var watch = Stopwatch.StartNew();
        var batches = 0L;
        var nextProbe = TimeSpan.Zero;
        var device = 0;
        while (watch.Elapsed < duration)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (watch.Elapsed >= nextProbe)
            {
                await SendAsync(pending[0], _clients[0], ProbeTopic, Probe(), 1, cancellationToken).ConfigureAwait(false);
                nextProbe += ProbeInterval;
            }
            var due = (long)(watch.Elapsed.TotalSeconds * samplesPerSecond / SamplesPerBatch);
            var sent = false;
            while (batches < due && PublishedSamples - delivered() < window)
            {
                var connection = device % _clients.Count;
                var stamp = NextStamp(device);
                var payload = ContractsJson.Serialize(Batch(device, stamp, ++_seq[device]));
                await SendAsync(pending[connection], _clients[connection], $"ps/v1/devices/{devices[device]}/readings", payload, SamplesPerBatch, cancellationToken).ConfigureAwait(false);
                batches++;
                device = (device + 1) % devices.Count;
                sent = true;
            }
            if (!sent)
            {
                await Task.Delay(2, cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var queue in pending)
        {
            await Task.WhenAll(queue).ConfigureAwait(false);
        }
    }

    private static string ProbeTopic => $"ps/v1/devices/{ProbeDevice}/readings";

    private async Task SendAsync(Queue<Task<MqttPublishResult>> pending, MqttClient client, string topic, byte[] payload, int samples, CancellationToken cancellationToken)
    {
        pending.Enqueue(client.PublishAsync(topic, payload, cancellationToken: cancellationToken).AsTask());
        Interlocked.Add(ref _published, samples);
        while (pending.Count > MaxPendingPerConnection || (pending.Count > 0 && pending.Peek().IsCompleted))
        {
            var result = await pending.Dequeue().ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                throw new InvalidOperationException($"broker refused a batch: {result.ReasonCode}");
            }
        }
    }

    /// <summary>Now, or just after the device's previous batch: its samples (up to 3 ms apart) never share a time.</summary>
    private DateTimeOffset NextStamp(int device)
    {
        var now = DateTimeOffset.UtcNow;
        var stamp = now > _lastStamp[device].AddMilliseconds(4) ? now : _lastStamp[device].AddMilliseconds(4);
        _lastStamp[device] = stamp;
        return stamp;
    }

    /// <summary>A regular batch: <see cref="SamplesPerBatch"/> samples of three vital signs, up to 3 ms before <paramref name="stamp"/>.</summary>
    internal DeviceBatch Batch(int device, DateTimeOffset stamp, long seq) => new()
    {
        Device = devices[device],
        Seq = seq,
        Sent = stamp,
        Samples = [.. Enumerable.Range(0, SamplesPerBatch).Select(i =>
        {
            var (type, unit, value) = Kinds[i % Kinds.Length];
            return new Sample { Type = type, Unit = unit, Time = stamp.AddMilliseconds(-(i / Kinds.Length)), Value = value + (seq % 5) };
        })],
    };

    private byte[] Probe()
    {
        var now = DateTimeOffset.UtcNow;
        _probeStamp = now > _probeStamp ? now : _probeStamp.AddMilliseconds(1);
        return ContractsJson.Serialize(new DeviceBatch
        {
            Device = ProbeDevice,
            Seq = ++_probeSeq,
            Sent = _probeStamp,
            Samples = [new Sample { Type = "heart-rate", Unit = "/min", Time = _probeStamp, Value = 72 }],
        });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
