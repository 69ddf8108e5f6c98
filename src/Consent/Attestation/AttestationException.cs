namespace PatientStream.Consent.Attestation;

/// <summary>Stable codes for every way an attestation is refused; they appear in HTTP errors and AuditEvents.</summary>
public enum AttestationError
{
    InvalidRequest,
    UnknownCa,
    CertificateExpired,
    CertificateNotYetValid,
    WrongSignature,
    NonceUnknown,
    NonceReplayed,
    NonceExpired,
    TooManyPendingChallenges,
    DeviceRevoked,
    DeviceNotBound,
    CertificateUnknown,
    RenewalTooEarly,
    TpmEndorsementKeyUnknown,
    TpmAttestationKeyInvalid,
    TpmCredentialMismatch,
}

/// <summary>An attestation the service refuses; <see cref="Error"/> is stable, the message says why in plain words.</summary>
public sealed class AttestationException : Exception
{
    public AttestationException()
    {
    }

    public AttestationException(string message)
        : base(message)
    {
    }

    public AttestationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AttestationException(AttestationError error, string message, Exception? innerException = null)
        : base(message, innerException) => Error = error;

    public AttestationError Error { get; }

    /// <summary>The kebab-case code used on the wire and in audit ("nonce-replayed").</summary>
    public string Code => ToCode(Error);

    public static string ToCode(AttestationError error) =>
        string.Concat(error.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
