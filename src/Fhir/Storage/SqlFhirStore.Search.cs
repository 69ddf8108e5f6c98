using System.Data.Common;
using System.Globalization;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Search;

namespace PatientStream.Fhir.Storage;

/// <summary>Search on the index tables. Result sets that span pages are stored (search_set/search_result) so that
/// following pages stay stable while other clients write.</summary>
public sealed partial class SqlFhirStore
{
    private static readonly TimeSpan SearchRetention = TimeSpan.FromHours(1);

    public async Task<SearchPage> SearchAsync(SearchQuery query, string queryString, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Summary == SummaryMode.Count || query.Count == 0)
        {
            return new SearchPage([], await CountAsync(query, cancellationToken).ConfigureAwait(false), null, 0, 0);
        }

        var ps = new SqlParameters();
        var where = new SqlCriteriaBuilder(definitions, ps, ParamIds.Id).Where("r", query);
        var order = OrderBy(query, ps);
        List<long> rids;
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            rids = await QueryLongsAsync(connection, null, $"SELECT r.rid FROM resource r WHERE {where} ORDER BY {order}", ps, cancellationToken).ConfigureAwait(false);
        }

        if (rids.Count <= query.Count)
        {
            return new SearchPage(await LoadByRidAsync(rids, cancellationToken).ConfigureAwait(false), rids.Count, null, 0, query.Count);
        }

        // More than one page: keep the ordered ids so that following pages do not shift while others write.
        var searchId = Guid.NewGuid().ToString("N");
        await WriteAsync(
            async (tx, ct) =>
            {
                await ((SqlStoreTransaction)tx).StoreSearchAsync(searchId, query.ResourceType, queryString, rids, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
        var first = await LoadByRidAsync(rids.GetRange(0, query.Count), cancellationToken).ConfigureAwait(false);
        return new SearchPage(first, rids.Count, searchId, 0, query.Count);
    }

    public async Task<long> CountAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var ps = new SqlParameters();
        var where = new SqlCriteriaBuilder(definitions, ps, ParamIds.Id).Where("r", query);
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var values = await QueryLongsAsync(connection, null, $"SELECT COUNT(*) FROM resource r WHERE {where}", ps, cancellationToken).ConfigureAwait(false);
            return values[0];
        }
    }

    public async Task<StoredSearch?> FindSearchAsync(string searchId, CancellationToken cancellationToken)
    {
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = CreateCommand(connection, null, "SELECT type, query, total FROM search_set WHERE search_id = @p0", [searchId]);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                    ? new StoredSearch(searchId, reader.GetString(0), reader.GetString(1), reader.GetInt64(2))
                    : null;
            }
        }
    }

    public async Task<SearchPage> PageAsync(StoredSearch search, int offset, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        var ps = new SqlParameters();
        var sql = $"SELECT rid FROM search_result WHERE search_id = {ps.Add(search.SearchId)} AND pos > {ps.Add((long)offset)} AND pos <= {ps.Add((long)offset + count)} ORDER BY pos";
        List<long> rids;
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            rids = await QueryLongsAsync(connection, null, sql, ps, cancellationToken).ConfigureAwait(false);
        }

        var matches = await LoadByRidAsync(rids, cancellationToken).ConfigureAwait(false);
        return new SearchPage(matches, search.Total, search.SearchId, offset, count);
    }

    public async Task<IReadOnlyList<StoredResource>> IncludeAsync(IReadOnlyCollection<StoredResource> sources, IncludeSpec include, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(include);
        var ids = sources.Where(s => s.Type == include.SourceType).Select(s => s.Id).Distinct().ToList();
        if (ids.Count == 0)
        {
            return [];
        }

        var keys = new List<ResourceKey>();
        foreach (var chunk in ids.Chunk(500))
        {
            var ps = new SqlParameters();
            var sql = $"SELECT DISTINCT x.target_type, x.target_id FROM sp_reference x JOIN resource s ON s.rid = x.rid"
                + $" WHERE s.type = {ps.Add(include.SourceType)} AND s.id IN ({string.Join(", ", chunk.Select(ps.Add))}) AND (x.target_type || '') <> ''";
            if (!include.IsWildcard)
            {
                sql += " AND " + new SqlCriteriaBuilder(definitions, ps, ParamIds.Id).ParamTest("x", include.SourceType, include.Parameter, referenceRows: true, probeOnly: true);
            }

            if (include.TargetType is not null)
            {
                sql += $" AND (x.target_type || '') = {ps.Add(include.TargetType)}";
            }

            var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var command = CreateCommand(connection, null, sql, ps.Items.Select(i => i.Value).ToList());
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        keys.Add(new ResourceKey(reader.GetString(0), reader.GetString(1)));
                    }
                }
            }
        }

        return await ReadManyAsync(keys, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StoredResource>> RevIncludeAsync(IReadOnlyCollection<StoredResource> targets, IncludeSpec include, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(include);
        var rids = new List<long>();
        foreach (var byType in targets.GroupBy(t => t.Type))
        {
            if (include.TargetType is not null && include.TargetType != byType.Key)
            {
                continue;
            }

            foreach (var chunk in byType.Select(t => t.Id).Distinct().Chunk(500))
            {
                var ps = new SqlParameters();
                var sql = $"SELECT DISTINCT x.rid FROM sp_reference x WHERE x.target_type = {ps.Add(byType.Key)} AND x.target_id IN ({string.Join(", ", chunk.Select(ps.Add))})";
                sql += include.IsWildcard
                    ? $" AND x.pid IN (SELECT pid FROM sp_param WHERE type = {ps.Add(include.SourceType)})"
                    : " AND " + new SqlCriteriaBuilder(definitions, ps, ParamIds.Id).ParamTest("x", include.SourceType, include.Parameter, referenceRows: true);

                var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    rids.AddRange(await QueryLongsAsync(connection, null, sql + $" LIMIT {ps.Add((long)limit)}", ps, cancellationToken).ConfigureAwait(false));
                }
            }
        }

        return await LoadByRidAsync(rids.Distinct().Take(limit).ToList(), cancellationToken).ConfigureAwait(false);
    }

    internal async Task<IReadOnlyList<ResourceKey>> MatchKeysAsync(DbConnection connection, DbTransaction transaction, SearchQuery query, int limit, CancellationToken cancellationToken)
    {
        var ps = new SqlParameters();
        var where = new SqlCriteriaBuilder(definitions, ps, ParamIds.Id).Where("r", query);
        var sql = $"SELECT r.type, r.id FROM resource r WHERE {where} ORDER BY r.rid LIMIT {ps.Add((long)limit)}";
        using var command = CreateCommand(connection, transaction, sql, ps.Items.Select(i => i.Value).ToList());
        var keys = new List<ResourceKey>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                keys.Add(new ResourceKey(reader.GetString(0), reader.GetString(1)));
            }
        }

        return keys;
    }

    public async Task<IReadOnlyList<StoredResource>> ReferencingAsync(string targetType, string targetId, IReadOnlyDictionary<string, IReadOnlyList<string>> parametersByType, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parametersByType);
        var rids = new List<long>();
        var seen = new HashSet<long>();
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = CreateCommand(connection, null, "SELECT x.rid, x.pid FROM sp_reference x WHERE x.target_type = @p0 AND x.target_id = @p1 ORDER BY x.rid", [targetType, targetId]);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && rids.Count < limit)
                {
                    var rid = reader.GetInt64(0);
                    var (type, param) = ParamIds.Pair(reader.GetInt64(1));
                    if (parametersByType.TryGetValue(type, out var ps) && ps.Contains(param) && seen.Add(rid))
                    {
                        rids.Add(rid);
                    }
                }
            }
        }

        return await LoadByRidAsync(rids, cancellationToken).ConfigureAwait(false);
    }

    internal static long RetentionCutoff() => (DateTimeOffset.UtcNow - SearchRetention).UtcTicks;

    /// <summary>ORDER BY for _sort keys (nulls last, ties broken by insertion order so paging is deterministic).</summary>
    private string OrderBy(SearchQuery query, SqlParameters ps)
    {
        var keys = new List<string>();
        foreach (var key in query.Sort)
        {
            var direction = key.Descending ? " DESC" : " ASC";
            string expression;
            if (key.Parameter.Name == "_id")
            {
                expression = "r.id";
            }
            else if (key.Parameter.Name == "_lastUpdated")
            {
                expression = "r.last_updated";
            }
            else
            {
                var table = SqlCriteriaBuilder.TableFor(key.Parameter.Type);
                var column = key.Parameter.Type switch
                {
                    SearchParamType.String => "normalized",
                    SearchParamType.Token => "code",
                    SearchParamType.Reference => "url",
                    SearchParamType.Date => key.Descending ? "high" : "low",
                    SearchParamType.Uri => "uri",
                    _ => "value",
                };
                var aggregate = key.Descending ? "MAX" : "MIN";
                var paramTest = new SqlCriteriaBuilder(definitions, ps, ParamIds.Id).ParamTest("o", query.ResourceType, key.Parameter.Name, referenceRows: key.Parameter.Type == SearchParamType.Reference);
                expression = $"(SELECT {aggregate}(o.{column}) FROM {table} o WHERE o.rid = r.rid AND {paramTest})";
            }

            keys.Add($"CASE WHEN {expression} IS NULL THEN 1 ELSE 0 END, {expression}{direction}");
        }

        keys.Add("r.rid ASC");
        return string.Join(", ", keys);
    }

    private async Task<List<StoredResource>> LoadByRidAsync(List<long> rids, CancellationToken cancellationToken)
    {
        if (rids.Count == 0)
        {
            return [];
        }

        var byRid = new Dictionary<long, StoredResource>();
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            foreach (var chunk in rids.Chunk(500))
            {
                var ps = new SqlParameters();
                var placeholders = string.Join(", ", chunk.Select(rid => ps.Add(rid)));
                var sql = "SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.method, v.json, r.rid FROM resource_version v JOIN resource r ON r.rid = v.rid AND v.version = r.version"
                    + $" WHERE r.rid IN ({placeholders}) AND r.deleted = 0";
                using var command = CreateCommand(connection, null, sql, ps.Items.Select(i => i.Value).ToList());
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        byRid[reader.GetInt64(7)] = ReadRow(reader);
                    }
                }
            }
        }

        // The rid list is in sort order.
        return rids.Where(byRid.ContainsKey).Select(r => byRid[r]).ToList();
    }

    internal static async Task<List<long>> QueryLongsAsync(DbConnection connection, DbTransaction? transaction, string sql, SqlParameters ps, CancellationToken cancellationToken)
    {
        using var command = CreateCommand(connection, transaction, sql, ps.Items.Select(i => i.Value).ToList());
        var values = new List<long>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                values.Add(reader.GetInt64(0));
            }
        }

        return values;
    }
}
