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

    // INTEGER PRIMARY KEY makes the row id the table's rowid: lookups by rid are the table's own B-tree.
    protected override string RidColumn => "INTEGER PRIMARY KEY";

    protected override string RealType => "REAL";

    // SQLite binds each named parameter by a linear search over the statement's names: keep statements small.
    public override int RowsPerInsert => 8;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var pragma = connection.CreateCommand();

            // case_sensitive_like: LIKE must compare like PostgreSQL's (index values are already normalised where
            // the spec wants case-insensitivity); synchronous=NORMAL is the durable-on-commit setting for WAL.
            // cache_size/mmap_size: index tables outgrow SQLite's 2 MB default cache long before a million resources.
            pragma.CommandText = "PRAGMA case_sensitive_like = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;";
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
