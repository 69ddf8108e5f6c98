using PatientStream.Ingest.Cleaning;

namespace PatientStream.Ingest.State;

/// <summary>Why the gate held a sample or batch back.</summary>
public enum GateVerdict
{
    /// <summary>New, in order or within the allowed lateness: goes to the sinks.</summary>
    Accepted,

    /// <summary>Already seen: dropped silently (devices retransmit after reconnects).</summary>
    Duplicate,

    /// <summary>Later than the allowed lateness behind its series: goes to the late-data path.</summary>
    TooLate,
}

/// <summary>
/// Dedupe by (device, seq) and by (device, type, time), and lateness against each series' watermark (the newest
/// sample time seen). Works on a <see cref="StateChanges"/> so nothing is recorded until the batch is durable.
/// </summary>
public sealed class SeriesGate(IngestStateStore store, TimeSpan allowedLateness)
{
    /// <summary>True when the batch is new; false when it (or the same batch earlier in this set) was seen.</summary>
    public bool AdmitBatch(StateChanges changes, string device, long seq)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return !changes.Batches.Contains((device, seq)) && !store.IsBatchSeen(device, seq) && changes.AddBatch(device, seq);
    }

    /// <summary>Judges one clean sample; accepted and late samples get their quality flags updated.</summary>
    public (GateVerdict Verdict, CleanSample Sample) Admit(StateChanges changes, CleanSample sample)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(sample);
        var series = new SeriesKey(sample.DeviceId, sample.Type.Name);
        var watermark = Max(store.Watermark(series), changes.Watermark(series));
        if (changes.Samples.Contains((series, sample.Time.UtcTicks)) ||
            (watermark is { } seenUpTo && sample.Time <= seenUpTo && store.IsSampleSeen(series, sample.Time)))
        {
            return (GateVerdict.Duplicate, sample);
        }
        changes.AddSample(series, sample.Time);
        if (watermark is { } newest && sample.Time < newest)
        {
            if (newest - sample.Time > allowedLateness)
            {
                return (GateVerdict.TooLate, sample with { Quality = sample.Quality | SampleQuality.OutOfOrder | SampleQuality.Late });
            }
            return (GateVerdict.Accepted, sample with { Quality = sample.Quality | SampleQuality.OutOfOrder });
        }
        changes.Advance(series, sample.EndTime);
        return (GateVerdict.Accepted, sample);
    }

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
