namespace PatientStream.Ingest.Clinical;

/// <summary>Running totals of one clinical merge handler (thread-safe reads).</summary>
public sealed class ClinicalCounters
{
    private long _merged;
    private long _rejected;
    private long _patientsCreated;
    private long _resourcesWritten;
    private long _skippedEntries;

    /// <summary>Records merged into the FHIR store.</summary>
    public long Merged => Interlocked.Read(ref _merged);

    /// <summary>Records refused (dead-lettered by the consumer loop).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Patients created because no Patient carried the MRN (only with CreateMissingPatients).</summary>
    public long PatientsCreated => Interlocked.Read(ref _patientsCreated);

    /// <summary>Resources written (a replay writes them again as new versions).</summary>
    public long ResourcesWritten => Interlocked.Read(ref _resourcesWritten);

    /// <summary>Entries not merged: resource types outside the merged set, entries without a resource.</summary>
    public long SkippedEntries => Interlocked.Read(ref _skippedEntries);

    internal void AddMerged(int written, int skipped, bool created)
    {
        Interlocked.Increment(ref _merged);
        Interlocked.Add(ref _resourcesWritten, written);
        Interlocked.Add(ref _skippedEntries, skipped);
        if (created)
        {
            Interlocked.Increment(ref _patientsCreated);
        }
    }

    internal void AddRejected() => Interlocked.Increment(ref _rejected);
}
