namespace PatientStream.Consent.Client;

/// <summary>Settings of the edge's decision client.</summary>
public sealed record ConsentClientOptions
{
    /// <summary>How long a decision may be reused without asking again (default 60 s).</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Cached decisions at most; beyond that the cache starts over (default 50 000).</summary>
    public int MaxEntries { get; init; } = 50_000;

    /// <summary>Per-request deadline; a slower service counts as unreachable (default 5 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public void Validate()
    {
        if (CacheTtl < TimeSpan.Zero || MaxEntries < 1 || RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("Invalid consent client options: CacheTtl must not be negative, MaxEntries at least 1, RequestTimeout positive");
        }
    }
}
