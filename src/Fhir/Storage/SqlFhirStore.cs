using System.Data.Common;
using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Storage;

/// <summary>
/// The store on a SQL database (SQLite or PostgreSQL through <see cref="SqlDialect"/>): a current-row table, a
/// version table holding every version's JSON, and one index table per search parameter type.
/// </summary>
public sealed partial class SqlFhirStore(SqlDialect dialect, FhirDefinitions definitions) : IFhirStore
{
    private const string SelectStored =
        "SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.method, v.json FROM resource_version v JOIN resource r ON r.rid = v.rid";

    // Writers are serialised in-process (and across processes by the dialect): SQLite allows one writer anyway, and
    // one global write order keeps version numbering and conditional operations simple and identical on both stores.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private SearchParamIds? _paramIds;

    public string Kind => dialect.Kind;

    internal SearchParamIds ParamIds => _paramIds ?? throw new InvalidOperationException("The store is not initialised: call InitializeAsync first.");

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await dialect.PrepareDatabaseAsync(connection, cancellationToken).ConfigureAwait(false);
            foreach (var ddl in dialect.Schema())
            {
                await ExecuteAsync(connection, null, ddl, [], cancellationToken).ConfigureAwait(false);
            }

            _paramIds = await SearchParamIds.LoadAsync(connection, definitions, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<StoredResource?> ReadAsync(string type, string id, long? versionId, CancellationToken cancellationToken)
    {
        var sql = versionId is null
            ? SelectStored + " AND v.version = r.version WHERE r.type = @p0 AND r.id = @p1"
            : SelectStored + " WHERE r.type = @p0 AND r.id = @p1 AND v.version = @p2";
        object[] args = versionId is null ? [type, id] : [type, id, versionId.Value];
        var rows = await QueryStoredAsync(sql, args, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<StoredResource>> ReadManyAsync(IReadOnlyCollection<ResourceKey> keys, CancellationToken cancellationToken)
    {
        var result = new List<StoredResource>();
        foreach (var byType in keys.Distinct().GroupBy(k => k.Type))
        {
            foreach (var chunk in byType.Chunk(500))
            {
                var args = new List<object> { byType.Key };
                var placeholders = string.Join(", ", chunk.Select((k, i) => { args.Add(k.Id); return "@p" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture); }));
                var sql = SelectStored + $" AND v.version = r.version WHERE r.type = @p0 AND r.id IN ({placeholders}) AND r.deleted = 0";
                result.AddRange(await QueryStoredAsync(sql, args, cancellationToken).ConfigureAwait(false));
            }
        }

        return result;
    }

    public async Task<IReadOnlyList<StoredResource>> HistoryAsync(string? type, string? id, DateTimeOffset? since, int count, CancellationToken cancellationToken)
    {
        var conditions = new List<string>();
        var args = new List<object>();
        void Add(string condition, object value)
        {
            conditions.Add(condition + " @p" + args.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            args.Add(value);
        }

        if (type is not null)
        {
            Add("r.type =", type);
        }

        if (id is not null)
        {
            Add("r.id =", id);
        }

        if (since is not null)
        {
            Add("v.last_updated >=", since.Value.UtcTicks);
        }

        var where = conditions.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", conditions);
        var sql = SelectStored + where + " ORDER BY v.vid DESC LIMIT " + Math.Max(count, 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await QueryStoredAsync(sql, args, cancellationToken).ConfigureAwait(false);
    }

    public async Task<T> WriteAsync<T>(Func<IStoreTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    await dialect.OnWriteTransactionStartAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                    var session = new SqlStoreTransaction(this, connection, transaction, dialect.RowsPerInsert);
                    await using (session.ConfigureAwait(false))
                    {
                        var result = await work(session, cancellationToken).ConfigureAwait(false);
                        await session.FlushAsync(cancellationToken).ConfigureAwait(false);

                        // Commit is not cancellable: once the work is done, a cancelled request must not half-apply it.
                        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                        return result;
                    }
                }
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await dialect.DisposeAsync().ConfigureAwait(false);
        _writeGate.Dispose();
    }

    internal static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, IReadOnlyList<object> args, CancellationToken cancellationToken)
    {
        using var command = CreateCommand(connection, transaction, sql, args);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static DbCommand CreateCommand(DbConnection connection, DbTransaction? transaction, string sql, IReadOnlyList<object> args)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 0; i < args.Count; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p.Value = args[i];
            command.Parameters.Add(p);
        }

        return command;
    }

    internal static async Task<List<StoredResource>> ReadStoredAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<StoredResource>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(ReadRow(reader));
            }
        }

        return rows;
    }

    internal static StoredResource ReadRow(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetInt64(2),
        new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero),
        reader.GetInt64(4) != 0,
        reader.GetString(5),
        reader.GetString(6));

    private async Task<List<StoredResource>> QueryStoredAsync(string sql, IReadOnlyList<object> args, CancellationToken cancellationToken)
    {
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = CreateCommand(connection, null, sql, args);
            return await ReadStoredAsync(command, cancellationToken).ConfigureAwait(false);
        }
    }
}
