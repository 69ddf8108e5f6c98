using Microsoft.Extensions.DependencyInjection;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Http;

namespace PatientStream.Consent.Tests.Http;

public sealed class AddConsentTests
{
    [Fact]
    public void Invalid_options_fail_at_start_up_naming_every_problem()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddConsent(o =>
            o.Ca = new DeviceCaOptions { DataDirectory = "", CertificateLifetime = TimeSpan.FromHours(1), RenewalWindow = TimeSpan.FromHours(2) }));

        Assert.Contains("DataDirectory is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("RenewalWindow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_audit_period_fails_at_start_up()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddConsent(o =>
        {
            o.Ca = new DeviceCaOptions { DataDirectory = "unused" };
            o.DecisionAuditPeriod = TimeSpan.Zero;
        }));

        Assert.Contains("DecisionAuditPeriod", error.Message, StringComparison.Ordinal);
    }
}
