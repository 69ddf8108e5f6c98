using System.Net;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Errors;
using PatientStream.Fhir.Search;
using PatientStream.Fhir.Storage;

namespace PatientStream.Fhir.Service;

/// <summary>
/// The FHIR server's operations for in-process callers and for the REST endpoints alike. Works on JSON
/// (<see cref="JsonObject"/>); failures are <see cref="FhirException"/>s with stable codes.
/// </summary>
public sealed class FhirService
{
    private const int MaxIncludes = 1000;
    private const int MaxEverything = 10_000;
    private readonly IFhirStore _store;
    private readonly FhirDefinitions _definitions;
    private readonly ResourceWriter _writer;
    private readonly SearchQueryParser _parser;
    private readonly Lazy<IReadOnlyDictionary<string, IReadOnlyList<string>>> _compartment;

    public FhirService(IFhirStore store, FhirDefinitions? definitions = null, TimeProvider? clock = null)
    {
        _store = store;
        _definitions = definitions ?? FhirDefinitions.R4;
        _writer = new ResourceWriter(_definitions, clock ?? TimeProvider.System);
        _parser = new SearchQueryParser(_definitions);
        Bundles = new BundleProcessor(store, _writer, this);
        _compartment = new Lazy<IReadOnlyDictionary<string, IReadOnlyList<string>>>(() => _definitions.PatientCompartmentTypes
            .Where(_definitions.IsResourceType)
            .ToDictionary(
                t => t,
                t => (IReadOnlyList<string>)_definitions.PatientCompartmentParameters(t)
                    .SelectMany(p => IndexLayout.For(_definitions).Resolve(t, p).StoredParams)
                    .Distinct(StringComparer.Ordinal)
                    .ToList(),
                StringComparer.Ordinal));
    }

    public FhirDefinitions Definitions => _definitions;

    internal BundleProcessor Bundles { get; }

    /// <summary>The current version; throws not-found (404) or gone (410).</summary>
    public async Task<StoredResource> ReadAsync(string type, string id, CancellationToken cancellationToken)
    {
        RequireType(type);
        var stored = await _store.ReadAsync(type, id, null, cancellationToken).ConfigureAwait(false) ?? throw new ResourceNotFoundException(type, id);
        return stored.Deleted ? throw new ResourceGoneException(type, id) : stored;
    }

    public async Task<StoredResource> VReadAsync(string type, string id, string versionId, CancellationToken cancellationToken)
    {
        RequireType(type);
        if (!long.TryParse(versionId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v))
        {
            throw new ResourceNotFoundException(type, id + "/_history/" + versionId);
        }

        var stored = await _store.ReadAsync(type, id, v, cancellationToken).ConfigureAwait(false) ?? throw new ResourceNotFoundException(type, id + "/_history/" + versionId);
        return stored.Deleted ? throw new ResourceGoneException(type, id) : stored;
    }

    /// <summary>Create with a server-assigned id; with <paramref name="ifNoneExist"/> (a query), returns the existing match instead (200).</summary>
    public Task<WriteOutcome> CreateAsync(JsonObject resource, string? ifNoneExist = null, CancellationToken cancellationToken = default) =>
        _store.WriteAsync((tx, ct) => _writer.CreateAsync(tx, resource, ifNoneExist, null, ct), cancellationToken);

    /// <summary>Update, or create with the client's id when it does not exist (create-on-update). <paramref name="ifMatch"/> is an ETag.</summary>
    public Task<WriteOutcome> UpdateAsync(string type, string id, JsonObject resource, string? ifMatch = null, CancellationToken cancellationToken = default)
    {
        RequireType(type);
        return _store.WriteAsync((tx, ct) => _writer.UpdateAsync(tx, type, id, resource, ifMatch, ct), cancellationToken);
    }

    public Task<WriteOutcome> ConditionalUpdateAsync(string type, string query, JsonObject resource, CancellationToken cancellationToken = default)
    {
        RequireType(type);
        return _store.WriteAsync((tx, ct) => _writer.ConditionalUpdateAsync(tx, type, query, resource, ct), cancellationToken);
    }

    public Task<WriteOutcome> DeleteAsync(string type, string id, string? ifMatch = null, CancellationToken cancellationToken = default)
    {
        RequireType(type);
        return _store.WriteAsync((tx, ct) => _writer.DeleteAsync(tx, type, id, ifMatch, ct), cancellationToken);
    }

    public Task<IReadOnlyList<StoredResource>> HistoryAsync(string? type, string? id, DateTimeOffset? since, int count, CancellationToken cancellationToken)
    {
        if (type is not null)
        {
            RequireType(type);
        }

        return _store.HistoryAsync(type, id, since, Math.Clamp(count, 1, SearchQueryParser.MaxCount), cancellationToken);
    }

    /// <summary>Search with a query string (<c>patient=Patient/1&amp;_count=50</c>). Unknown parameters are ignored unless <paramref name="strict"/>.</summary>
    public Task<SearchResult> SearchAsync(string type, string queryString, bool strict = false, CancellationToken cancellationToken = default) =>
        SearchAsync(type, FhirQuery.Parse(queryString), strict, cancellationToken);

    public async Task<SearchResult> SearchAsync(string type, IReadOnlyList<KeyValuePair<string, string>> parameters, bool strict, CancellationToken cancellationToken)
    {
        RequireType(type);
        var query = _parser.Parse(type, parameters, strict);
        var queryString = string.Join("&", parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var page = await _store.SearchAsync(query, queryString, cancellationToken).ConfigureAwait(false);
        var included = await IncludesAsync(query, page.Matches, cancellationToken).ConfigureAwait(false);
        return new SearchResult(query, page, included, query.Ignored);
    }

    /// <summary>A further page of a stored result set (from a next/previous link); null when it has expired.</summary>
    public async Task<SearchResult?> PageAsync(string searchId, int offset, int count, CancellationToken cancellationToken)
    {
        var stored = await _store.FindSearchAsync(searchId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        var query = _parser.Parse(stored.ResourceType, FhirQuery.Parse(stored.QueryString), strict: false) with { Count = count };
        var page = await _store.PageAsync(stored, Math.Max(0, offset), Math.Clamp(count, 1, SearchQueryParser.MaxCount), cancellationToken).ConfigureAwait(false);
        var included = await IncludesAsync(query, page.Matches, cancellationToken).ConfigureAwait(false);
        return new SearchResult(query, page, included, query.Ignored);
    }

    /// <summary>Processes a transaction (atomic) or batch (independent entries) Bundle; returns the response Bundle.</summary>
    public Task<JsonObject> ProcessBundleAsync(JsonObject bundle, CancellationToken cancellationToken = default) =>
        Bundles.ProcessAsync(bundle, cancellationToken);

    /// <summary>Patient/$everything: the patient and every resource in its compartment (per the official compartment definition).</summary>
    public async Task<IReadOnlyList<StoredResource>> EverythingAsync(string patientId, CancellationToken cancellationToken)
    {
        var patient = await ReadAsync("Patient", patientId, cancellationToken).ConfigureAwait(false);
        var members = await _store.ReferencingAsync("Patient", patientId, _compartment.Value, MaxEverything, cancellationToken).ConfigureAwait(false);
        return [patient, .. members.Where(m => m.Type != "Patient" || m.Id != patientId)];
    }

    private async Task<IReadOnlyList<StoredResource>> IncludesAsync(SearchQuery query, IReadOnlyList<StoredResource> matches, CancellationToken ct)
    {
        if (query.Includes.Count == 0 && query.RevIncludes.Count == 0)
        {
            return [];
        }

        var seen = new HashSet<(string, string)>(matches.Select(m => (m.Type, m.Id)));
        var included = new List<StoredResource>();
        var frontier = matches.ToList();
        for (var round = 0; round < 4 && frontier.Count > 0 && included.Count < MaxIncludes; round++)
        {
            var next = new List<StoredResource>();
            foreach (var spec in query.Includes.Where(s => round == 0 || s.Iterate))
            {
                next.AddRange(await _store.IncludeAsync(frontier, spec, ct).ConfigureAwait(false));
            }

            foreach (var spec in query.RevIncludes.Where(s => round == 0 || s.Iterate))
            {
                next.AddRange(await _store.RevIncludeAsync(frontier, spec, MaxIncludes, ct).ConfigureAwait(false));
            }

            frontier = next.Where(r => seen.Add((r.Type, r.Id))).ToList();
            included.AddRange(frontier);
        }

        return included.Take(MaxIncludes).ToList();
    }

    private void RequireType(string type)
    {
        if (!_definitions.IsResourceType(type))
        {
            throw new FhirException(HttpStatusCode.NotFound, "UNKNOWN_TYPE", $"'{type}' is not a supported resource type.");
        }
    }
}
