using PatientStream.Ingest.Summaries;

namespace PatientStream.Ingest.State;

/// <summary>
/// Keys and watermarks of a batch being handled, applied to the store only once the sinks have the batch: until
/// then a retry of the same batch must see the old state.
/// </summary>
public sealed class StateChanges
{
    private readonly HashSet<(string Device, long Seq)> _batches = [];
    private readonly HashSet<(SeriesKey Series, long Ticks)> _samples = [];
    private readonly Dictionary<SeriesKey, long> _watermarks = [];
    private readonly Dictionary<WindowKey, WindowAggregate> _windows = [];

    public IReadOnlyCollection<(string Device, long Seq)> Batches => _batches;

    public IReadOnlyCollection<(SeriesKey Series, long Ticks)> Samples => _samples;

    public IReadOnlyDictionary<SeriesKey, long> Watermarks => _watermarks;

    /// <summary>Summary windows the batch changed, with their new totals.</summary>
    public IReadOnlyDictionary<WindowKey, WindowAggregate> Windows => _windows;

    public bool IsEmpty => _batches.Count == 0 && _samples.Count == 0 && _watermarks.Count == 0 && _windows.Count == 0;

    public bool TryGetWindow(WindowKey key, out WindowAggregate aggregate) => _windows.TryGetValue(key, out aggregate);

    public void SetWindow(WindowKey key, WindowAggregate aggregate) => _windows[key] = aggregate;

    /// <summary>Adds the batch; false when this set already holds it.</summary>
    public bool AddBatch(string device, long seq) => _batches.Add((device, seq));

    /// <summary>Adds the sample key; false when this set already holds it.</summary>
    public bool AddSample(SeriesKey series, DateTimeOffset time) => _samples.Add((series, time.UtcTicks));

    public DateTimeOffset? Watermark(SeriesKey series) =>
        _watermarks.TryGetValue(series, out var ticks) ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public void Advance(SeriesKey series, DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        _watermarks[series] = _watermarks.TryGetValue(series, out var old) ? Math.Max(old, ticks) : ticks;
    }
}
