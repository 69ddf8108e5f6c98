using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace PatientStream.Fhir.Bench;

/// <summary>
/// The ingest baseline: the same resources' JSON inserted as bare rows (id, type, json) into one table, one
/// transaction per Bundle, with the store's own durability settings (SQLite WAL + synchronous=NORMAL) — what the
/// database does without validation, references, versioning or search indexes.
/// </summary>
public sealed class RawRows
{
    private readonly Func<DbConnection> _connect;
    private readonly string _setup;

    private RawRows(Func<DbConnection> connect, string setup)
    {
        _connect = connect;
        _setup = setup;
    }

    public static RawRows Sqlite(string path) => new(() => new SqliteConnection($"Data Source={path};Pooling=true"),
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE IF NOT EXISTS raw (id TEXT PRIMARY KEY, type TEXT NOT NULL, json TEXT NOT NULL);");

    public static RawRows Postgres(string connectionString) => new(() => new NpgsqlConnection(connectionString),
        "CREATE TABLE IF NOT EXISTS raw (id text PRIMARY KEY, type text NOT NULL, json text NOT NULL);");

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = _connect();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = _setup;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Inserts <paramref name="rows"/> (type, json) in one transaction; returns how many.</summary>
    public async Task<int> InsertAsync(IReadOnlyList<(string Type, string Json)> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        await using var connection = _connect();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO raw (id, type, json) VALUES (@id, @type, @json)";
        var id = AddParameter(command, "@id");
        var type = AddParameter(command, "@type");
        var json = AddParameter(command, "@json");
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (rowType, rowJson) in rows)
        {
            id.Value = Guid.NewGuid().ToString("N");
            type.Value = rowType;
            json.Value = rowJson;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return rows.Count;
    }

    private static DbParameter AddParameter(DbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = "";
        command.Parameters.Add(parameter);
        return parameter;
    }
}
