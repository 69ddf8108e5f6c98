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
