namespace PatientStream.Consent.Attestation;

/// <summary>Settings of device attestation.</summary>
public sealed record AttestationOptions
{
    /// <summary>PEM certificates of the manufacturer roots whose devices may enroll by X.509 attestation.</summary>
    public IReadOnlyList<string> ManufacturerRootsPem { get; init; } = [];

    /// <summary>How long a nonce or TPM challenge may be answered (default 2 minutes).</summary>
    public TimeSpan NonceLifetime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Cap on outstanding nonces and challenges (default 100 000).</summary>
    public int MaxPendingNonces { get; init; } = 100_000;

    public void Validate()
    {
        var problems = new List<string>();
        if (NonceLifetime <= TimeSpan.Zero || NonceLifetime > TimeSpan.FromMinutes(30))
        {
            problems.Add("NonceLifetime must be positive and at most 30 minutes");
        }

        if (MaxPendingNonces < 1)
        {
            problems.Add("MaxPendingNonces must be at least 1");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid attestation options: " + string.Join("; ", problems));
        }
    }
}
