namespace PatientStream.EdgeAgent.Gate;

/// <summary>How the gate judges batches.</summary>
public sealed record GateOptions
{
    /// <summary>The purpose consent is asked for: readings leave the edge for treatment (v3 PurposeOfUse TREAT).</summary>
    public string Purpose { get; init; } = "TREAT";

    /// <summary>A device clock further than this from the edge clock is flagged (the batch still goes, with its skew).</summary>
    public TimeSpan SkewThreshold { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most samples a batch may carry; larger ones are quarantined rather than forwarded.</summary>
    public int MaxSamples { get; init; } = 10_000;

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Purpose);
        if (SkewThreshold <= TimeSpan.Zero)
        {
            throw new ArgumentException("GateOptions.SkewThreshold must be positive.", nameof(SkewThreshold));
        }
        if (MaxSamples < 1)
        {
            throw new ArgumentException("GateOptions.MaxSamples must be positive.", nameof(MaxSamples));
        }
    }
}
