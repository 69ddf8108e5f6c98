using PatientStream.Ingest.Cleaning;

namespace PatientStream.Ingest.Summaries;

/// <summary>A summary window: one patient, one sample type, one UTC-aligned period starting at <see cref="StartTicks"/>.</summary>
public readonly record struct WindowKey(string Patient, string Type, long StartTicks)
{
    /// <summary>The window of <paramref name="type"/>'s period that holds <paramref name="sample"/>.</summary>
    public static WindowKey Of(CleanSample sample, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var ticks = sample.Time.UtcTicks;
        return new WindowKey(sample.PatientId, sample.Type.Name, ticks - (ticks % period.Ticks));
    }
}

/// <summary>
/// What a window holds so far. <see cref="Device"/> is the one device that contributed, or empty when several did.
/// Sums are added in arrival order, which a replay repeats, so a recomputed summary is the same to the last bit.
/// </summary>
public readonly record struct WindowAggregate(long Count, double Sum, double Min, double Max, SampleQuality Quality, string Device)
{
    public double Mean => Count == 0 ? 0 : Sum / Count;

    public WindowAggregate Add(CleanSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var value = sample.Value!.Value;
        return Count == 0
            ? new WindowAggregate(1, value, value, value, sample.Quality, sample.DeviceId)
            : new WindowAggregate(Count + 1, Sum + value, Math.Min(Min, value), Math.Max(Max, value), Quality | sample.Quality,
                string.Equals(Device, sample.DeviceId, StringComparison.Ordinal) ? Device : "");
    }
}

/// <summary>The current state of one window after a batch, as the sinks write it (the whole window, not the increment).</summary>
public sealed record PeriodSummary(string PatientId, SampleType Type, DateTimeOffset Start, DateTimeOffset End, WindowAggregate Aggregate)
{
    /// <summary>The summary's value: the mean or the sum, as the type's mapping says.</summary>
    public double Value => Type.Summary == SummaryStatistic.Sum ? Aggregate.Sum : Aggregate.Mean;

    /// <summary>The single contributing device, or null when several devices fed the window.</summary>
    public string? DeviceId => Aggregate.Device.Length > 0 ? Aggregate.Device : null;
}

/// <summary>
/// A sink that also takes period summaries (the FHIR Observation sink). The handler calls it with every window the
/// batch touched, after <see cref="ICleanSampleSink.WriteAsync"/> and before the state commit. Like sample writes it
/// must be idempotent: after a crash the same windows come again with the same content.
/// </summary>
public interface ISummarySink
{
    Task WriteSummariesAsync(IReadOnlyList<PeriodSummary> summaries, CancellationToken cancellationToken);
}
