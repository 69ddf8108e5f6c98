using PatientStream.Ingest.Cleaning;

namespace PatientStream.Ingest.Fhir;

/// <summary>
/// Writes clean samples to the FHIR store as Observations with Provenance, in transaction Bundles of at most
/// <see cref="MaxEntries"/> entries. Idempotent: ids are deterministic and entries are PUTs.
/// </summary>
public sealed class FhirObservationSink(IFhirWriter writer, int maxEntries = 500) : ICleanSampleSink
{
    public int MaxEntries { get; } = maxEntries > 1 ? maxEntries : throw new ArgumentOutOfRangeException(nameof(maxEntries));

    public async Task WriteAsync(IReadOnlyList<CleanSample> samples, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var resources = ObservationBuilder.Build(samples);
        // Resources come in Observation/Provenance pairs; an even bundle size keeps each pair in one transaction.
        var size = MaxEntries - (MaxEntries % 2);
        for (var start = 0; start < resources.Count; start += size)
        {
            var bundle = ObservationBuilder.Transaction(resources.Skip(start).Take(size));
            await writer.WriteTransactionAsync(bundle, cancellationToken).ConfigureAwait(false);
        }
    }
}
