namespace PatientStream.Ingest;

/// <summary>Running totals of one ingest handler (thread-safe reads).</summary>
public sealed class IngestCounters
{
    private long _records;
    private long _duplicateBatches;
    private long _samplesWritten;
    private long _duplicateSamples;
    private long _rejectedSamples;
    private long _lateSamples;
    private long _rejectedRecords;

    public long Records => Interlocked.Read(ref _records);
    public long DuplicateBatches => Interlocked.Read(ref _duplicateBatches);
    public long SamplesWritten => Interlocked.Read(ref _samplesWritten);
    public long DuplicateSamples => Interlocked.Read(ref _duplicateSamples);
    public long RejectedSamples => Interlocked.Read(ref _rejectedSamples);
    public long LateSamples => Interlocked.Read(ref _lateSamples);
    public long RejectedRecords => Interlocked.Read(ref _rejectedRecords);

    /// <summary>Time spent in each phase of the handler, for finding where a slow pipeline waits.</summary>
    public TimeSpan CleanTime => TimeSpan.FromTicks(Interlocked.Read(ref _cleanTicks));
    public TimeSpan InfluxTime => TimeSpan.FromTicks(Interlocked.Read(ref _influxTicks));
    public TimeSpan SinkTime => TimeSpan.FromTicks(Interlocked.Read(ref _sinkTicks));
    public TimeSpan StateTime => TimeSpan.FromTicks(Interlocked.Read(ref _stateTicks));

    private long _outages;

    /// <summary>Times a sink stayed unavailable through its own retries and the stage waited.</summary>
    public long Outages => Interlocked.Read(ref _outages);

    internal void AddOutage() => Interlocked.Increment(ref _outages);

    private long _cleanTicks;
    private long _influxTicks;
    private long _sinkTicks;
    private long _stateTicks;

    internal void AddTimes(TimeSpan clean, TimeSpan influx, TimeSpan sinks, TimeSpan state)
    {
        Interlocked.Add(ref _cleanTicks, clean.Ticks);
        Interlocked.Add(ref _influxTicks, influx.Ticks);
        Interlocked.Add(ref _sinkTicks, sinks.Ticks);
        Interlocked.Add(ref _stateTicks, state.Ticks);
    }

    internal void Add(long records, long duplicateBatches, long written, long duplicates, long rejected, long late, long rejectedRecords)
    {
        Interlocked.Add(ref _records, records);
        Interlocked.Add(ref _duplicateBatches, duplicateBatches);
        Interlocked.Add(ref _samplesWritten, written);
        Interlocked.Add(ref _duplicateSamples, duplicates);
        Interlocked.Add(ref _rejectedSamples, rejected);
        Interlocked.Add(ref _lateSamples, late);
        Interlocked.Add(ref _rejectedRecords, rejectedRecords);
    }
}
