using System.Data.Common;
using System.Globalization;
using System.Text;
using PatientStream.Fhir.Search;

namespace PatientStream.Fhir.Storage;

/// <summary>
/// One write transaction. New rows are buffered and written with multi-row INSERTs (a transaction Bundle of
/// Observations writes a dozen rows per resource); anything that reads flushes the buffer first, so reads inside
/// the transaction always see its own writes. Row ids are assigned here: writers are serialised, so the next id
/// is known.
/// </summary>
internal sealed class SqlStoreTransaction(SqlFhirStore store, DbConnection connection, DbTransaction transaction, int rowsPerStatement) : IStoreTransaction, IAsyncDisposable
{
    private static readonly (string Table, string[] Columns)[] IndexTables =
    [
        ("sp_string", ["rid", "pid", "normalized", "exact"]),
        ("sp_token", ["rid", "pid", "system", "code", "text"]),
        ("sp_reference", ["rid", "pid", "target_type", "target_id", "url"]),
        ("sp_date", ["rid", "pid", "low", "high"]),
        ("sp_quantity", ["rid", "pid", "system", "code", "value"]),
        ("sp_uri", ["rid", "pid", "uri"]),
        ("sp_number", ["rid", "pid", "value"]),
    ];

    private static readonly string[] ResourceColumns = ["rid", "type", "id", "version", "last_updated", "deleted"];
    private static readonly string[] VersionColumns = ["rid", "version", "last_updated", "deleted", "method", "json"];

    private readonly Dictionary<string, List<object?[]>> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Table, int Rows), DbCommand> _commands = [];
    private long _nextRid;

    public async Task<StoredResource?> ReadCurrentAsync(string type, string id, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlFhirStore.CreateCommand(
            connection,
            transaction,
            "SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.method, v.json FROM resource_version v JOIN resource r ON r.rid = v.rid AND v.version = r.version WHERE r.type = @p0 AND r.id = @p1",
            [type, id]);
        var rows = await SqlFhirStore.ReadStoredAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<ResourceKey>> MatchAsync(SearchQuery query, int limit, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return await store.MatchKeysAsync(connection, transaction, query, limit, cancellationToken).ConfigureAwait(false);
    }

    public async Task PutAsync(ResourceWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var ticks = write.LastUpdated.UtcTicks;
        var deleted = write.Deleted ? 1 : 0;
        long rid;

        // Version 1 is always a new row: deletions keep their row and go on counting.
        if (write.VersionId == 1)
        {
            rid = await NextRidAsync(cancellationToken).ConfigureAwait(false);
            Buffer("resource", [rid, write.Type, write.Id, write.VersionId, ticks, deleted]);
        }
        else
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            using (var find = SqlFhirStore.CreateCommand(connection, transaction, "SELECT rid FROM resource WHERE type = @p0 AND id = @p1", [write.Type, write.Id]))
            {
                rid = Convert.ToInt64(await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }

            await SqlFhirStore.ExecuteAsync(connection, transaction, "UPDATE resource SET version = @p0, last_updated = @p1, deleted = @p2 WHERE rid = @p3", [write.VersionId, ticks, deleted, rid], cancellationToken).ConfigureAwait(false);
            foreach (var (table, _) in IndexTables)
            {
                await SqlFhirStore.ExecuteAsync(connection, transaction, $"DELETE FROM {table} WHERE rid = @p0", [rid], cancellationToken).ConfigureAwait(false);
            }
        }

        Buffer("resource_version", [rid, write.VersionId, ticks, deleted, write.Method, write.Json]);
        if (!write.Deleted)
        {
            BufferIndex(rid, write.Type, write.Index);
        }
    }

    /// <summary>Stores the ordered result of a search that spans pages, and drops expired result sets.</summary>
    public async Task StoreSearchAsync(string searchId, string type, string queryString, IReadOnlyList<long> rids, CancellationToken ct)
    {
        var cutoff = SqlFhirStore.RetentionCutoff();
        await SqlFhirStore.ExecuteAsync(connection, transaction, "DELETE FROM search_result WHERE search_id IN (SELECT search_id FROM search_set WHERE created < @p0)", [cutoff], ct).ConfigureAwait(false);
        await SqlFhirStore.ExecuteAsync(connection, transaction, "DELETE FROM search_set WHERE created < @p0", [cutoff], ct).ConfigureAwait(false);
        await SqlFhirStore.ExecuteAsync(
            connection,
            transaction,
            "INSERT INTO search_set (search_id, type, query, total, created) VALUES (@p0, @p1, @p2, @p3, @p4)",
            [searchId, type, queryString, (long)rids.Count, DateTimeOffset.UtcNow.UtcTicks],
            ct).ConfigureAwait(false);
        for (var i = 0; i < rids.Count; i++)
        {
            Buffer("search_result", [searchId, (long)i + 1, rids[i]]);
        }

        await FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Writes every buffered row; called before reads and before commit.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        // Parents first: resource rows, then versions, then index rows.
        await FlushTableAsync("resource", ResourceColumns, cancellationToken).ConfigureAwait(false);
        await FlushTableAsync("resource_version", VersionColumns, cancellationToken).ConfigureAwait(false);
        foreach (var (table, columns) in IndexTables)
        {
            await FlushTableAsync(table, columns, cancellationToken).ConfigureAwait(false);
        }

        await FlushTableAsync("search_result", ["search_id", "pos", "rid"], cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        return ValueTask.CompletedTask;
    }

    private void BufferIndex(long rid, string type, IndexEntries index)
    {
        var ids = store.ParamIds;
        foreach (var e in index.Strings)
        {
            Buffer("sp_string", [rid, ids.Id(type, e.Param), e.Normalized, e.Exact]);
        }

        foreach (var e in index.Tokens)
        {
            Buffer("sp_token", [rid, ids.Id(type, e.Param), e.System, e.Code, e.Text]);
        }

        foreach (var e in index.References)
        {
            Buffer("sp_reference", [rid, ids.Id(type, e.Param), e.TargetType, e.TargetId, e.Url]);
        }

        foreach (var e in index.Dates)
        {
            Buffer("sp_date", [rid, ids.Id(type, e.Param), e.Low, e.High]);
        }

        foreach (var e in index.Quantities)
        {
            Buffer("sp_quantity", [rid, ids.Id(type, e.Param), e.System, e.Code, (double)e.Value]);
        }

        foreach (var e in index.Uris)
        {
            Buffer("sp_uri", [rid, ids.Id(type, e.Param), e.Uri]);
        }

        foreach (var e in index.Numbers)
        {
            Buffer("sp_number", [rid, ids.Id(type, e.Param), (double)e.Value]);
        }
    }

    private void Buffer(string table, object?[] row)
    {
        if (!_pending.TryGetValue(table, out var rows))
        {
            rows = [];
            _pending[table] = rows;
        }

        rows.Add(row);
    }

    private async Task<long> NextRidAsync(CancellationToken cancellationToken)
    {
        if (_nextRid == 0)
        {
            using var max = SqlFhirStore.CreateCommand(connection, transaction, "SELECT COALESCE(MAX(rid), 0) FROM resource", []);
            _nextRid = Convert.ToInt64(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) + 1;
        }

        return _nextRid++;
    }

    private async Task FlushTableAsync(string table, string[] columns, CancellationToken cancellationToken)
    {
        if (!_pending.TryGetValue(table, out var rows) || rows.Count == 0)
        {
            return;
        }

        for (var start = 0; start < rows.Count; start += rowsPerStatement)
        {
            var count = Math.Min(rowsPerStatement, rows.Count - start);
            var command = InsertCommand(table, columns, count);
            var p = 0;
            for (var r = start; r < start + count; r++)
            {
                foreach (var value in rows[r])
                {
                    command.Parameters[p++].Value = value ?? DBNull.Value;
                }
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        rows.Clear();
    }

    private DbCommand InsertCommand(string table, string[] columns, int rows)
    {
        if (_commands.TryGetValue((table, rows), out var cached))
        {
            return cached;
        }

        var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
        var n = 0;
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Length; c++)
            {
                sql.Append(c == 0 ? "@p" : ", @p").Append(n++.ToString(CultureInfo.InvariantCulture));
            }

            sql.Append(')');
        }

        var command = SqlFhirStore.CreateCommand(connection, transaction, sql.ToString(), Enumerable.Repeat<object>(DBNull.Value, n).ToArray());
        _commands[(table, rows)] = command;
        return command;
    }
}
