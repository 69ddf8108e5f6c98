using System.Text.Json.Nodes;
using PatientStream.Fhir.Service;

namespace PatientStream.Ingest.Clinical;

/// <summary>A Patient in the FHIR store found by identifier, with the version a merge must start from.</summary>
public sealed record PatientMatch(string Id, string VersionId, JsonObject Resource);

/// <summary>Finds the Patients that carry an identifier (the MRN the devices' Patient is registered with).</summary>
public interface IPatientDirectory
{
    Task<IReadOnlyList<PatientMatch>> FindByIdentifierAsync(string system, string value, CancellationToken cancellationToken);
}

/// <summary><see cref="IPatientDirectory"/> over the in-process FHIR service (a token search on <c>identifier</c>).</summary>
public sealed class FhirServicePatientDirectory(FhirService service) : IPatientDirectory
{
    private readonly FhirService _service = service ?? throw new ArgumentNullException(nameof(service));

    public async Task<IReadOnlyList<PatientMatch>> FindByIdentifierAsync(string system, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(system);
        ArgumentException.ThrowIfNullOrEmpty(value);
        // Two are enough to know the identifier is ambiguous. A comma would split the token into alternatives.
        var token = $"{Escape(system)}|{Escape(value)}";
        var result = await _service.SearchAsync("Patient", [new("identifier", token), new("_count", "2")], strict: true, cancellationToken)
            .ConfigureAwait(false);
        return result.Page.Matches
            .Select(m => new PatientMatch(m.Id, m.VersionText, (JsonObject)JsonNode.Parse(m.Json)!))
            .ToList();
    }

    private static string Escape(string part) => part.Replace(",", "\\,", StringComparison.Ordinal);
}
