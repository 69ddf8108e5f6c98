using System.Text.Json.Nodes;

namespace PatientStream.Ingest.Fhir;

/// <summary>
/// Writes a FHIR R4 transaction Bundle atomically and completes when it is durable. Entries use PUT with
/// deterministic ids, so writing a Bundle again updates rather than duplicates. Implemented over the FHIR store.
/// </summary>
public interface IFhirWriter
{
    Task WriteTransactionAsync(JsonObject bundle, CancellationToken cancellationToken);
}
