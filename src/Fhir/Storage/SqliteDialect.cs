using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace PatientStream.Fhir.Storage;

/// <summary>SQLite (the embedded default): one database file in WAL mode.</summary>
public sealed class SqliteDialect : SqlDialect
{
    private readonly string _connectionString;

    public SqliteDialect(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override string Kind => "sqlite";

    protected override string IdentityColumn => "INTEGER PRIMARY KEY";

    protected override string RealType => "REAL";

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var pragma = connection.CreateCommand();

            // case_sensitive_like: LIKE must compare like PostgreSQL's (index values are already normalised where
            // the spec wants case-insensitivity); synchronous=NORMAL is the durable-on-commit setting for WAL.
            pragma.CommandText = "PRAGMA case_sensitive_like = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override async Task PrepareDatabaseAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        using var wal = connection.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode = WAL;";
        await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
