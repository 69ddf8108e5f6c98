using System.Text.Json.Nodes;
using PatientStream.Fhir.Service;

namespace PatientStream.Analytics.Output;

/// <summary>
/// Stores what the analytics publish in the FHIR store, in process: RiskAssessments and Flags are PUT by their
/// content-derived ids, so a replayed message overwrites rather than duplicates. Then hands the event on.
/// </summary>
public sealed class FhirAnalyticsSink(FhirService fhir, IAnalyticsSink? next = null) : IAnalyticsSink
{
    public async ValueTask PublishAsync(AnalyticsEvent analyticsEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(analyticsEvent);
        var (type, resource) = analyticsEvent switch
        {
            RiskAssessed risk => ("RiskAssessment", risk.RiskAssessment),
            AlertChanged alert => ("Flag", alert.Flag),
            _ => (null, null),
        };
        if (type is not null && resource is not null)
        {
            var id = resource["id"]?.GetValue<string>()
                ?? throw new InvalidOperationException($"{type} from the analytics has no id; ids must be stable for idempotent writes.");
            // The store stamps meta on what it receives; the event keeps the resource as the analytics built it.
            await fhir.UpdateAsync(type, id, (JsonObject)resource.DeepClone(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        if (next is not null)
        {
            await next.PublishAsync(analyticsEvent, cancellationToken).ConfigureAwait(false);
        }
    }
}
