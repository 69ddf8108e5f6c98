using PatientStream.Consent.Audit;
using PatientStream.Consent.Devices;
using PatientStream.Consent.Records;

namespace PatientStream.Consent.Policy;

/// <summary>
/// Answers decision requests: the device (when named) must be active and bound to the patient, then the patient's
/// Consents decide. Every decision goes to the (aggregated) audit trail.
/// </summary>
public sealed class ConsentDecisionService(IConsentRecords records, DeviceRegistry devices, ConsentEngine engine, DecisionAuditor auditor)
{
    private readonly IConsentRecords _records = records;
    private readonly DeviceRegistry _devices = devices;
    private readonly ConsentEngine _engine = engine;
    private readonly DecisionAuditor _auditor = auditor;

    public async Task<ConsentDecision> DecideAsync(ConsentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decision = await DecideUnauditedAsync(request, cancellationToken).ConfigureAwait(false);
        await _auditor.ObserveAsync(request, decision, cancellationToken).ConfigureAwait(false);
        return decision;
    }

    private async Task<ConsentDecision> DecideUnauditedAsync(ConsentRequest request, CancellationToken cancellationToken)
    {
        if (request.Device is { } device)
        {
            var deviceId = device.StartsWith("Device/", StringComparison.Ordinal) ? device["Device/".Length..] : device;
            var binding = await _devices.FindAsync(deviceId, cancellationToken).ConfigureAwait(false);
            var refusal = binding switch
            {
                null => $"{device} is not registered",
                { Status: not "active" } => $"{device} is {binding.Status}",
                { Patient: null } => $"{device} is not bound to a patient",
                _ when !string.Equals(binding.Patient, request.Patient, StringComparison.Ordinal) => $"{device} is not bound to {request.Patient}",
                _ => null,
            };
            if (refusal is not null)
            {
                var codes = request.Codes.Select(c => new CodeDecision(c, DecisionOutcome.Deny, null, null)).ToList();
                return new ConsentDecision(DecisionOutcome.Deny, codes, [refusal]);
            }
        }

        var consents = await _records.ConsentsOfAsync(request.Patient, cancellationToken).ConfigureAwait(false);
        return _engine.Decide(request, consents);
    }
}
