using PatientStream.Consent.Attestation;
using PatientStream.Consent.Ca;

namespace PatientStream.Consent.Http;

/// <summary>Settings of the consent service as a whole.</summary>
public sealed class ConsentServiceOptions
{
    public DeviceCaOptions Ca { get; set; } = new();

    public AttestationOptions Attestation { get; set; } = new();

    /// <summary>At least one AuditEvent per device and question per period while a decision stays the same (default 15 min).</summary>
    public TimeSpan DecisionAuditPeriod { get; set; } = TimeSpan.FromMinutes(15);

    public void Validate()
    {
        Ca.Validate();
        Attestation.Validate();
        if (DecisionAuditPeriod <= TimeSpan.Zero || DecisionAuditPeriod > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("Invalid consent options: DecisionAuditPeriod must be positive and at most one day");
        }
    }
}
