using System.Data.Common;
using Npgsql;

namespace PatientStream.Fhir.Storage;

/// <summary>PostgreSQL (production). Writers take a transaction-scoped advisory lock so that every server process
/// sees the same serialised write order the SQLite store has.</summary>
public sealed class PostgresDialect(string connectionString) : SqlDialect
{
    private const long WriteLockKey = 0x5053_4648_4952; // "PSFHIR"
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public override string Kind => "postgres";

    protected override string IdentityColumn => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";

    protected override string RealType => "DOUBLE PRECISION";

    // Each statement is a round trip: few, large statements (PostgreSQL allows 65535 parameters).
    public override int RowsPerInsert => 1000;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public override async Task OnWriteTransactionStartAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT pg_advisory_xact_lock(" + WriteLockKey.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
