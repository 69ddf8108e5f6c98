namespace PatientStream.Consent.Ca;

/// <summary>Stable codes of the device CA's refusals.</summary>
public enum CaErrorCode
{
    InvalidCertificateRequest,
    DeviceRevoked,
    UnknownCertificate,
    CertificateRevoked,
    CertificateExpired,
    RenewalTooEarly,
}

/// <summary>A request the device CA refuses; <see cref="Code"/> is stable for callers and audit.</summary>
public sealed class CertificateAuthorityException : Exception
{
    public CertificateAuthorityException()
    {
    }

    public CertificateAuthorityException(string message)
        : base(message)
    {
    }

    public CertificateAuthorityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CertificateAuthorityException(CaErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    public CaErrorCode Code { get; }
}
