using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Attestation.Tpm;
using PatientStream.Consent.Audit;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Devices;
using PatientStream.Consent.Policy;

namespace PatientStream.Consent.Http;

public static class ConsentServiceCollectionExtensions
{
    /// <summary>
    /// Registers the consent service: device CA, attestation, device registry, consent decisions and audit. The host
    /// must also register an <see cref="Records.IConsentRecords"/>: <c>AddFhirServer(…)</c> then
    /// <see cref="Records.FhirConsentRecordsServiceCollectionExtensions.AddConsentFhirRecords"/>. Options are validated
    /// here, at start-up.
    /// </summary>
    public static IServiceCollection AddConsent(this IServiceCollection services, Action<ConsentServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new ConsentServiceOptions();
        configure(options);
        options.Validate();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(sp => DeviceCa.Open(options.Ca, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<DeviceRegistry>();
        services.AddSingleton(sp => new DeviceEnrollment(
            sp.GetRequiredService<DeviceCa>(), sp.GetRequiredService<DeviceRegistry>(), sp.GetRequiredService<AuditTrail>(), options.Attestation, sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<DeviceEnrollment>>()));
        services.AddSingleton(sp => new TpmAttestor(sp.GetRequiredService<DeviceEnrollment>(), options.Attestation, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ConsentEngine>();
        services.AddSingleton(sp => new DecisionAuditor(sp.GetRequiredService<AuditTrail>(), sp.GetRequiredService<TimeProvider>(), options.DecisionAuditPeriod));
        services.AddSingleton<ConsentDecisionService>();
        services.AddHostedService<CrlRepublisher>();
        services.AddHostedService<DecisionAuditFlusher>();
        return services;
    }
}
