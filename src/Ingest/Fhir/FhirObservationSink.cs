using System.Text.Json.Nodes;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Summaries;

namespace PatientStream.Ingest.Fhir;

/// <summary>
/// Writes clean samples to the FHIR store as Observations with Provenance, and period summaries as one Observation per
/// window, in transaction Bundles of at most <see cref="MaxEntries"/> entries. Idempotent: ids are deterministic and
/// entries are PUTs.
/// </summary>
public sealed class FhirObservationSink(IFhirWriter writer, int maxEntries = 500) : ICleanSampleSink, ISummarySink
{
    public int MaxEntries { get; } = maxEntries > 1 ? maxEntries : throw new ArgumentOutOfRangeException(nameof(maxEntries));

    public Task WriteAsync(IReadOnlyList<CleanSample> samples, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return WriteBundlesAsync(ObservationBuilder.Build(samples), cancellationToken);
    }

    public Task WriteSummariesAsync(IReadOnlyList<PeriodSummary> summaries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        return WriteBundlesAsync(ObservationBuilder.Summaries(summaries), cancellationToken);
    }

    private async Task WriteBundlesAsync(IReadOnlyList<JsonObject> resources, CancellationToken cancellationToken)
    {
        // Resources come in Observation/Provenance pairs; an even bundle size keeps each pair in one transaction.
        var size = MaxEntries - (MaxEntries % 2);
        for (var start = 0; start < resources.Count; start += size)
        {
            var bundle = ObservationBuilder.Transaction(resources.Skip(start).Take(size));
            await writer.WriteTransactionAsync(bundle, cancellationToken).ConfigureAwait(false);
        }
    }
}
