namespace PatientStream.Consent.Ca;

/// <summary>Settings of the site's device CA.</summary>
public sealed record DeviceCaOptions
{
    /// <summary>Where the CA key, certificate, registry (ca.db) and CRL (crl.pem) live. Required.</summary>
    public string DataDirectory { get; init; } = "";

    /// <summary>Subject of a newly created CA; an existing CA keeps its own.</summary>
    public string CaSubject { get; init; } = "CN=PatientStream Device CA, O=PatientStream";

    /// <summary>Lifetime of a newly created CA certificate (default 10 years).</summary>
    public TimeSpan CaLifetime { get; init; } = TimeSpan.FromDays(3650);

    /// <summary>Operational certificates are short-lived so a lost device ages out quickly (default 24 h).</summary>
    public TimeSpan CertificateLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A device may renew once this much of its certificate's lifetime is left (default 8 h).</summary>
    public TimeSpan RenewalWindow { get; init; } = TimeSpan.FromHours(8);

    /// <summary>Backdating of notBefore to tolerate device clock skew (default 5 min).</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a published CRL stays valid; it is republished on every revocation and well before this (default 7 days).</summary>
    public TimeSpan CrlLifetime { get; init; } = TimeSpan.FromDays(7);

    public string CrlPath => Path.Combine(DataDirectory, "crl.pem");

    public string CaCertificatePath => Path.Combine(DataDirectory, "ca.crt.pem");

    internal string CaKeyPath => Path.Combine(DataDirectory, "ca.key.pem");

    internal string RegistryPath => Path.Combine(DataDirectory, "ca.db");

    /// <summary>Fails at start-up with every problem found.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add("DataDirectory is required");
        }

        if (CertificateLifetime <= TimeSpan.Zero || CertificateLifetime > TimeSpan.FromDays(397))
        {
            problems.Add("CertificateLifetime must be positive and at most 397 days");
        }

        if (RenewalWindow <= TimeSpan.Zero || RenewalWindow > CertificateLifetime)
        {
            problems.Add("RenewalWindow must be positive and not longer than CertificateLifetime");
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromHours(1))
        {
            problems.Add("ClockSkew must be between 0 and 1 hour");
        }

        if (CrlLifetime <= TimeSpan.Zero || CaLifetime <= CertificateLifetime)
        {
            problems.Add("CrlLifetime must be positive and CaLifetime longer than CertificateLifetime");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid device CA options: " + string.Join("; ", problems));
        }
    }
}
