using System.Text.Json.Nodes;
using PatientStream.Fhir.Service;

namespace PatientStream.Ingest.Fhir;

/// <summary>
/// <see cref="IFhirWriter"/> over the in-process <see cref="FhirService"/>: the Bundle runs as one store transaction.
/// A failed transaction throws, so the consumer loop retries the batch and commits no offset before FHIR has it.
/// </summary>
public sealed class FhirServiceWriter(FhirService service) : IFhirWriter
{
    private readonly FhirService _service = service ?? throw new ArgumentNullException(nameof(service));

    public async Task WriteTransactionAsync(JsonObject bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        // A batch Bundle would report failures per entry instead of throwing: only transactions give all-or-nothing.
        if (bundle["type"]?.GetValue<string>() != "transaction")
        {
            throw new ArgumentException("FhirServiceWriter writes transaction Bundles only.", nameof(bundle));
        }
        var response = await _service.ProcessBundleAsync(bundle, cancellationToken).ConfigureAwait(false);
        if (response["type"]?.GetValue<string>() != "transaction-response")
        {
            throw new InvalidOperationException("The FHIR service answered a transaction without a transaction-response Bundle.");
        }
    }
}
