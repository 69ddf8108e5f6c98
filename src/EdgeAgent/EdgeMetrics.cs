using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PatientStream.EdgeAgent;

/// <summary>A point-in-time copy of the agent's counters (for status output, tests and bench).</summary>
public sealed record EdgeMetricsSnapshot(
    long Received,
    long Buffered,
    long Duplicates,
    long Forwarded,
    long ForwardFailures,
    long Quarantined,
    long SkewFlagged,
    long SamplesRemoved,
    IReadOnlyDictionary<string, long> RejectedByReason,
    long BufferedNow,
    long BufferedBytesNow,
    double OldestAgeSeconds)
{
    public long Rejected => RejectedByReason.Values.Sum();
}

/// <summary>
/// The agent's counters, published on the <c>PatientStream.EdgeAgent</c> meter (OpenTelemetry or dotnet-counters read
/// it) and readable as a <see cref="EdgeMetricsSnapshot"/>. Buffer gauges come from a callback set by the buffer.
/// </summary>
public sealed class EdgeMetrics : IDisposable
{
    public const string MeterName = "PatientStream.EdgeAgent";
    public const string ForwardLatencyName = "edge.forward.latency";

    private readonly Meter _meter = new(MeterName);
    private readonly ConcurrentDictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private readonly Counter<long> _rejectedCounter;
    private readonly Histogram<double> _forwardLatency;
    private long _received;
    private long _buffered;
    private long _duplicates;
    private long _forwarded;
    private long _forwardFailures;
    private long _quarantined;
    private long _skewFlagged;
    private long _samplesRemoved;
    private Func<(long Count, long Bytes, double OldestAgeSeconds)> _bufferState = () => (0, 0, 0);

    public EdgeMetrics()
    {
        _meter.CreateObservableCounter("edge.batches.received", () => Interlocked.Read(ref _received), "{batch}");
        _meter.CreateObservableCounter("edge.batches.buffered", () => Interlocked.Read(ref _buffered), "{batch}");
        _meter.CreateObservableCounter("edge.batches.duplicates", () => Interlocked.Read(ref _duplicates), "{batch}");
        _meter.CreateObservableCounter("edge.batches.forwarded", () => Interlocked.Read(ref _forwarded), "{batch}");
        _meter.CreateObservableCounter("edge.forward.failures", () => Interlocked.Read(ref _forwardFailures), "{batch}");
        _meter.CreateObservableCounter("edge.batches.quarantined", () => Interlocked.Read(ref _quarantined), "{batch}");
        _meter.CreateObservableCounter("edge.batches.skew_flagged", () => Interlocked.Read(ref _skewFlagged), "{batch}");
        _meter.CreateObservableCounter("edge.samples.removed", () => Interlocked.Read(ref _samplesRemoved), "{sample}");
        _rejectedCounter = _meter.CreateCounter<long>("edge.batches.rejected", "{batch}");
        _forwardLatency = _meter.CreateHistogram<double>(ForwardLatencyName, "ms", "From MQTT receipt to the Kafka delivery report.");
        _meter.CreateObservableGauge("edge.buffer.batches", () => _bufferState().Count, "{batch}");
        _meter.CreateObservableGauge("edge.buffer.bytes", () => _bufferState().Bytes, "By");
        _meter.CreateObservableGauge("edge.buffer.oldest_age", () => _bufferState().OldestAgeSeconds, "s");
    }

    internal void SetBufferState(Func<(long Count, long Bytes, double OldestAgeSeconds)> state) => _bufferState = state;

    public void OnReceived() => Interlocked.Increment(ref _received);

    public void OnBuffered() => Interlocked.Increment(ref _buffered);

    public void OnDuplicate() => Interlocked.Increment(ref _duplicates);

    /// <summary>Batches forwarded so far; cheaper than <see cref="Snapshot"/>, which asks the buffer for its gauges.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    public void OnForwarded(int count) => Interlocked.Add(ref _forwarded, count);

    public void OnForwardFailed(int count) => Interlocked.Add(ref _forwardFailures, count);

    /// <summary>A batch received at <paramref name="milliseconds"/> before its Kafka delivery report.</summary>
    public void OnForwardLatency(double milliseconds) => _forwardLatency.Record(milliseconds);

    public void OnQuarantined() => Interlocked.Increment(ref _quarantined);

    public void OnSkewFlagged() => Interlocked.Increment(ref _skewFlagged);

    public void OnSamplesRemoved(int count) => Interlocked.Add(ref _samplesRemoved, count);

    public void OnRejected(string reason)
    {
        _rejected.AddOrUpdate(reason, 1, (_, n) => n + 1);
        _rejectedCounter.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    public EdgeMetricsSnapshot Snapshot()
    {
        var (count, bytes, age) = _bufferState();
        return new EdgeMetricsSnapshot(
            Interlocked.Read(ref _received), Interlocked.Read(ref _buffered), Interlocked.Read(ref _duplicates),
            Interlocked.Read(ref _forwarded), Interlocked.Read(ref _forwardFailures), Interlocked.Read(ref _quarantined),
            Interlocked.Read(ref _skewFlagged), Interlocked.Read(ref _samplesRemoved),
            new Dictionary<string, long>(_rejected, StringComparer.Ordinal), count, bytes, age);
    }

    public void Dispose() => _meter.Dispose();
}
