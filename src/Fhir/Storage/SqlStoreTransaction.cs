using System.Data.Common;
using PatientStream.Fhir.Search;

namespace PatientStream.Fhir.Storage;

/// <summary>One write transaction; index inserts reuse prepared commands because a transaction Bundle writes many rows.</summary>
internal sealed class SqlStoreTransaction(SqlFhirStore store, DbConnection connection, DbTransaction transaction) : IStoreTransaction, IAsyncDisposable
{
    private static readonly string[] IndexTables = ["sp_string", "sp_token", "sp_reference", "sp_date", "sp_quantity", "sp_uri", "sp_number"];

    private readonly Dictionary<string, DbCommand> _prepared = new(StringComparer.Ordinal);

    public async Task<StoredResource?> ReadCurrentAsync(string type, string id, CancellationToken cancellationToken)
    {
        using var command = SqlFhirStore.CreateCommand(
            connection,
            transaction,
            "SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.method, v.json FROM resource_version v JOIN resource r ON r.rid = v.rid AND v.version = r.version WHERE r.type = @p0 AND r.id = @p1",
            [type, id]);
        var rows = await SqlFhirStore.ReadStoredAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<ResourceKey>> MatchAsync(SearchQuery query, int limit, CancellationToken cancellationToken) =>
        store.MatchKeysAsync(connection, transaction, query, limit, cancellationToken);

    public async Task PutAsync(ResourceWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var ticks = write.LastUpdated.UtcTicks;
        var deleted = write.Deleted ? 1 : 0;
        long rid;
        using (var upsert = SqlFhirStore.CreateCommand(
            connection,
            transaction,
            "INSERT INTO resource (type, id, version, last_updated, deleted) VALUES (@p0, @p1, @p2, @p3, @p4) "
            + "ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, last_updated = excluded.last_updated, deleted = excluded.deleted RETURNING rid",
            [write.Type, write.Id, write.VersionId, ticks, deleted]))
        {
            rid = Convert.ToInt64(await upsert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        await Prepared("version", "INSERT INTO resource_version (rid, version, last_updated, deleted, method, json) VALUES (@p0, @p1, @p2, @p3, @p4, @p5)", 6)
            .RunAsync(cancellationToken, rid, write.VersionId, ticks, deleted, write.Method, write.Json).ConfigureAwait(false);
        if (write.VersionId > 1)
        {
            foreach (var table in IndexTables)
            {
                await Prepared("delete:" + table, $"DELETE FROM {table} WHERE rid = @p0", 1).RunAsync(cancellationToken, rid).ConfigureAwait(false);
            }
        }

        if (!write.Deleted)
        {
            await InsertIndexAsync(rid, write.Type, write.Index, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stores the full ordered result of a search that spans pages, and drops expired result sets.</summary>
    public async Task<long> MaterializeAsync(string searchId, string type, string queryString, string where, string order, SqlParameters ps, CancellationToken ct)
    {
        var args = ps.Items.Select(i => i.Value).ToList();
        var idParam = "@p" + args.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        args.Add(searchId);
        var total = await SqlFhirStore.ExecuteAsync(
            connection,
            transaction,
            $"INSERT INTO search_result (search_id, pos, rid) SELECT {idParam}, ROW_NUMBER() OVER (ORDER BY {order}), r.rid FROM resource r WHERE {where}",
            args,
            ct).ConfigureAwait(false);
        var cutoff = SqlFhirStore.RetentionCutoff();
        await SqlFhirStore.ExecuteAsync(connection, transaction, "DELETE FROM search_result WHERE search_id IN (SELECT search_id FROM search_set WHERE created < @p0)", [cutoff], ct).ConfigureAwait(false);
        await SqlFhirStore.ExecuteAsync(connection, transaction, "DELETE FROM search_set WHERE created < @p0", [cutoff], ct).ConfigureAwait(false);
        await SqlFhirStore.ExecuteAsync(
            connection,
            transaction,
            "INSERT INTO search_set (search_id, type, query, total, created) VALUES (@p0, @p1, @p2, @p3, @p4)",
            [searchId, type, queryString, (long)total, DateTimeOffset.UtcNow.UtcTicks],
            ct).ConfigureAwait(false);
        return total;
    }

    private async Task InsertIndexAsync(long rid, string type, IndexEntries index, CancellationToken ct)
    {
        foreach (var e in index.Strings)
        {
            await Prepared("sp_string", "INSERT INTO sp_string (rid, type, param, normalized, exact) VALUES (@p0, @p1, @p2, @p3, @p4)", 5)
                .RunAsync(ct, rid, type, e.Param, e.Normalized, e.Exact).ConfigureAwait(false);
        }

        foreach (var e in index.Tokens)
        {
            await Prepared("sp_token", "INSERT INTO sp_token (rid, type, param, system, code, text) VALUES (@p0, @p1, @p2, @p3, @p4, @p5)", 6)
                .RunAsync(ct, rid, type, e.Param, e.System, e.Code, e.Text).ConfigureAwait(false);
        }

        foreach (var e in index.References)
        {
            await Prepared("sp_reference", "INSERT INTO sp_reference (rid, type, param, target_type, target_id, url) VALUES (@p0, @p1, @p2, @p3, @p4, @p5)", 6)
                .RunAsync(ct, rid, type, e.Param, e.TargetType, e.TargetId, e.Url).ConfigureAwait(false);
        }

        foreach (var e in index.Dates)
        {
            await Prepared("sp_date", "INSERT INTO sp_date (rid, type, param, low, high) VALUES (@p0, @p1, @p2, @p3, @p4)", 5)
                .RunAsync(ct, rid, type, e.Param, e.Low, e.High).ConfigureAwait(false);
        }

        foreach (var e in index.Quantities)
        {
            await Prepared("sp_quantity", "INSERT INTO sp_quantity (rid, type, param, system, code, value) VALUES (@p0, @p1, @p2, @p3, @p4, @p5)", 6)
                .RunAsync(ct, rid, type, e.Param, e.System, e.Code, (double)e.Value).ConfigureAwait(false);
        }

        foreach (var e in index.Uris)
        {
            await Prepared("sp_uri", "INSERT INTO sp_uri (rid, type, param, uri) VALUES (@p0, @p1, @p2, @p3)", 4)
                .RunAsync(ct, rid, type, e.Param, e.Uri).ConfigureAwait(false);
        }

        foreach (var e in index.Numbers)
        {
            await Prepared("sp_number", "INSERT INTO sp_number (rid, type, param, value) VALUES (@p0, @p1, @p2, @p3)", 4)
                .RunAsync(ct, rid, type, e.Param, (double)e.Value).ConfigureAwait(false);
        }
    }

    private PreparedCommand Prepared(string key, string sql, int parameterCount)
    {
        if (!_prepared.TryGetValue(key, out var command))
        {
            command = SqlFhirStore.CreateCommand(connection, transaction, sql, Enumerable.Repeat<object>(DBNull.Value, parameterCount).ToArray());
            _prepared[key] = command;
        }

        return new PreparedCommand(command);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var command in _prepared.Values)
        {
            command.Dispose();
        }

        _prepared.Clear();
        return ValueTask.CompletedTask;
    }

    private readonly record struct PreparedCommand(DbCommand Command)
    {
        public async Task RunAsync(CancellationToken cancellationToken, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                Command.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            await Command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
