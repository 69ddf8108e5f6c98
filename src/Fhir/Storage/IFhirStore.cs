using PatientStream.Fhir.Search;

namespace PatientStream.Fhir.Storage;

/// <summary>
/// The narrow storage boundary: SQLite and PostgreSQL implement it with identical behaviour. Search runs on index
/// tables filled at write time, never by reading resource JSON.
/// </summary>
public interface IFhirStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Kind { get; }

    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>The current version (possibly a deletion marker) or a given version; null when never written.</summary>
    Task<StoredResource?> ReadAsync(string type, string id, long? versionId, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredResource>> ReadManyAsync(IReadOnlyCollection<ResourceKey> keys, CancellationToken cancellationToken);

    /// <summary>Versions newest first, for one resource (type and id), one type (id null) or the system (both null).</summary>
    Task<IReadOnlyList<StoredResource>> HistoryAsync(string? type, string? id, DateTimeOffset? since, int count, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one atomic write transaction; write transactions are serialised.</summary>
    Task<T> WriteAsync<T>(Func<IStoreTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken);

    Task<SearchPage> SearchAsync(SearchQuery query, string queryString, CancellationToken cancellationToken);

    Task<long> CountAsync(SearchQuery query, CancellationToken cancellationToken);

    Task<StoredSearch?> FindSearchAsync(string searchId, CancellationToken cancellationToken);

    Task<SearchPage> PageAsync(StoredSearch search, int offset, int count, CancellationToken cancellationToken);

    /// <summary>Current resources that refer to a target through one of the given search parameters per type (compartments).</summary>
    Task<IReadOnlyList<StoredResource>> ReferencingAsync(string targetType, string targetId, IReadOnlyDictionary<string, IReadOnlyList<string>> parametersByType, int limit, CancellationToken cancellationToken);

    /// <summary>Resources the given ones refer to through a reference search parameter (for _include).</summary>
    Task<IReadOnlyList<StoredResource>> IncludeAsync(IReadOnlyCollection<StoredResource> sources, IncludeSpec include, CancellationToken cancellationToken);

    /// <summary>Resources of <see cref="IncludeSpec.SourceType"/> referring to the given ones (for _revinclude).</summary>
    Task<IReadOnlyList<StoredResource>> RevIncludeAsync(IReadOnlyCollection<StoredResource> targets, IncludeSpec include, int limit, CancellationToken cancellationToken);
}

/// <summary>Operations inside one atomic write transaction.</summary>
public interface IStoreTransaction
{
    Task<StoredResource?> ReadCurrentAsync(string type, string id, CancellationToken cancellationToken);

    /// <summary>Current, non-deleted matches of a query (at most <paramref name="limit"/>), for conditional operations.</summary>
    Task<IReadOnlyList<ResourceKey>> MatchAsync(SearchQuery query, int limit, CancellationToken cancellationToken);

    Task PutAsync(ResourceWrite write, CancellationToken cancellationToken);
}
