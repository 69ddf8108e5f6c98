using System.Data.Common;

namespace PatientStream.Fhir.Storage;

/// <summary>What differs between the SQL stores: connections, DDL types and write serialisation. Queries are shared.</summary>
public abstract class SqlDialect : IAsyncDisposable
{
    public abstract string Kind { get; }

    /// <summary>Column type of an auto-assigned 64-bit primary key.</summary>
    protected abstract string IdentityColumn { get; }

    /// <summary>Column type of the resource row id, which write transactions assign themselves.</summary>
    protected virtual string RidColumn => "BIGINT PRIMARY KEY";

    protected abstract string RealType { get; }

    /// <summary>Rows per multi-row INSERT.</summary>
    public abstract int RowsPerInsert { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Runs inside every write transaction before any statement (PostgreSQL: serialise across processes).</summary>
    public virtual Task OnWriteTransactionStartAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task PrepareDatabaseAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public abstract ValueTask DisposeAsync();

    public IReadOnlyList<string> Schema()
    {
        var real = RealType;
        return
        [
            $"CREATE TABLE IF NOT EXISTS resource (rid {RidColumn}, type TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL, last_updated BIGINT NOT NULL, deleted INTEGER NOT NULL, UNIQUE (type, id))",
            $"CREATE TABLE IF NOT EXISTS resource_version (vid {IdentityColumn}, rid BIGINT NOT NULL, version BIGINT NOT NULL, last_updated BIGINT NOT NULL, deleted INTEGER NOT NULL, method TEXT NOT NULL, json TEXT NOT NULL, UNIQUE (rid, version))",
            "CREATE INDEX IF NOT EXISTS ix_resource_version_updated ON resource_version (last_updated)",
            "CREATE TABLE IF NOT EXISTS sp_param (pid BIGINT PRIMARY KEY, type TEXT NOT NULL, param TEXT NOT NULL, UNIQUE (type, param))",
            "CREATE TABLE IF NOT EXISTS sp_string (rid BIGINT NOT NULL, pid BIGINT NOT NULL, normalized TEXT NOT NULL, exact TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ix_sp_string ON sp_string (pid, normalized)",
            "CREATE INDEX IF NOT EXISTS ix_sp_string_rid ON sp_string (rid, pid)",
            "CREATE TABLE IF NOT EXISTS sp_token (rid BIGINT NOT NULL, pid BIGINT NOT NULL, system TEXT NULL, code TEXT NULL, text TEXT NULL)",
            "CREATE INDEX IF NOT EXISTS ix_sp_token ON sp_token (pid, code, system)",
            "CREATE INDEX IF NOT EXISTS ix_sp_token_rid ON sp_token (rid, pid)",
            "CREATE TABLE IF NOT EXISTS sp_reference (rid BIGINT NOT NULL, pid BIGINT NOT NULL, target_type TEXT NULL, target_id TEXT NULL, url TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ix_sp_reference ON sp_reference (pid, target_id, target_type)",
            "CREATE INDEX IF NOT EXISTS ix_sp_reference_target ON sp_reference (target_type, target_id)",
            "CREATE INDEX IF NOT EXISTS ix_sp_reference_rid ON sp_reference (rid, pid)",
            "CREATE TABLE IF NOT EXISTS sp_date (rid BIGINT NOT NULL, pid BIGINT NOT NULL, low BIGINT NOT NULL, high BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ix_sp_date ON sp_date (pid, low, high)",
            "CREATE INDEX IF NOT EXISTS ix_sp_date_rid ON sp_date (rid, pid)",
            $"CREATE TABLE IF NOT EXISTS sp_quantity (rid BIGINT NOT NULL, pid BIGINT NOT NULL, system TEXT NULL, code TEXT NULL, value {real} NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ix_sp_quantity ON sp_quantity (pid, value)",
            "CREATE INDEX IF NOT EXISTS ix_sp_quantity_rid ON sp_quantity (rid, pid)",
            "CREATE TABLE IF NOT EXISTS sp_uri (rid BIGINT NOT NULL, pid BIGINT NOT NULL, uri TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ix_sp_uri ON sp_uri (pid, uri)",
            "CREATE INDEX IF NOT EXISTS ix_sp_uri_rid ON sp_uri (rid, pid)",
            $"CREATE TABLE IF NOT EXISTS sp_number (rid BIGINT NOT NULL, pid BIGINT NOT NULL, value {real} NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ix_sp_number ON sp_number (pid, value)",
            "CREATE INDEX IF NOT EXISTS ix_sp_number_rid ON sp_number (rid, pid)",
            "CREATE TABLE IF NOT EXISTS search_set (search_id TEXT PRIMARY KEY, type TEXT NOT NULL, query TEXT NOT NULL, total BIGINT NOT NULL, created BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS search_result (search_id TEXT NOT NULL, pos BIGINT NOT NULL, rid BIGINT NOT NULL, PRIMARY KEY (search_id, pos))",
        ];
    }
}
