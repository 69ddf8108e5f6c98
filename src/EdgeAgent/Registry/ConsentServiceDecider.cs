using System.Runtime.CompilerServices;
using PatientStream.Consent.Client;
using PatientStream.Consent.Policy;
using PatientStream.EdgeAgent.Gate;

namespace PatientStream.EdgeAgent.Registry;

/// <summary>
/// The gate's consent question answered by the consent service through <see cref="ConsentDecisionClient"/> (its
/// cache, change-feed invalidation and fail-closed behaviour). The device is named so the service also checks it is
/// active, unrevoked and bound to that patient.
/// </summary>
public sealed class ConsentServiceDecider(ConsentDecisionClient client) : IConsentDecider
{
    private readonly ConsentDecisionClient _client = client ?? throw new ArgumentNullException(nameof(client));

    // The client hands out the same decision object while it is cached: its edge form is built once, not per batch.
    private readonly ConditionalWeakTable<ConsentDecision, EdgeConsentDecision> _converted = [];

    public async ValueTask<EdgeConsentDecision> DecideAsync(EdgeConsentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decision = await _client.DecideAsync(
            new ConsentRequest(request.Patient, request.Purpose, request.Codes, Device: "Device/" + request.Device, DataTime: request.DataTime),
            cancellationToken).ConfigureAwait(false);
        return _converted.GetValue(decision, Convert);
    }

    private static EdgeConsentDecision Convert(ConsentDecision decision)
    {
        var permitted = decision.Codes.Where(c => c.Decision == DecisionOutcome.Permit).Select(c => c.Code).ToHashSet(StringComparer.Ordinal);
        var consents = decision.Codes.Select(c => c.Consent).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var outcome = decision.Decision switch
        {
            DecisionOutcome.Permit => EdgeConsentOutcome.Permit,
            DecisionOutcome.Partial => EdgeConsentOutcome.Partial,
            _ => EdgeConsentOutcome.Deny,
        };
        return new EdgeConsentDecision(outcome, outcome == EdgeConsentOutcome.Deny ? new HashSet<string>(StringComparer.Ordinal) : permitted, consents);
    }
}
