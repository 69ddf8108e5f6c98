using PatientStream.Fhir.Search;

namespace PatientStream.Fhir.Storage;

/// <summary>A resource version as stored: <see cref="Json"/> is the resource exactly as received plus id and meta (empty when deleted).</summary>
public sealed record StoredResource(string Type, string Id, long VersionId, DateTimeOffset LastUpdated, bool Deleted, string Method, string Json)
{
    public string VersionText => VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public readonly record struct ResourceKey(string Type, string Id);

/// <summary>A new version to write; <paramref name="Json"/> is empty for a delete.</summary>
public sealed record ResourceWrite(string Type, string Id, long VersionId, DateTimeOffset LastUpdated, bool Deleted, string Method, string Json, IndexEntries Index);

/// <summary>One page of search matches, plus what the page needs for its links and total.</summary>
/// <param name="SearchId">set when more pages exist: the id of the stored, stable result set.</param>
public sealed record SearchPage(IReadOnlyList<StoredResource> Matches, long? Total, string? SearchId, int Offset, int Count)
{
    public bool HasNext => SearchId is not null && Total is { } t && Offset + Count < t;
}

/// <summary>A stored result set's original query, for following pages.</summary>
public sealed record StoredSearch(string SearchId, string ResourceType, string QueryString, long Total);
