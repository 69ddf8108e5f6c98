using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Testing;

namespace PatientStream.Fhir.Bench;

/// <summary>
/// A store to measure: SQLite in a temporary folder, or a real PostgreSQL server started for the run (tests/Testing's
/// <see cref="PostgresFixture"/>). <see cref="Raw"/> is a bare table in the same kind of database for the baseline.
/// </summary>
public sealed class BenchStore : IAsyncDisposable
{
    private readonly string? _folder;
    private readonly PostgresFixture? _postgres;

    private BenchStore(string kind, IFhirStore store, RawRows raw, string? folder, PostgresFixture? postgres)
    {
        Kind = kind;
        Store = store;
        Service = new FhirService(store);
        Raw = raw;
        _folder = folder;
        _postgres = postgres;
    }

    public const string Sqlite = "sqlite";

    public const string Postgres = "postgres";

    public string Kind { get; }

    public IFhirStore Store { get; }

    public FhirService Service { get; }

    public RawRows Raw { get; }

    /// <summary>Whether PostgreSQL's server binaries are installed (the PostgreSQL figures need them).</summary>
    public static bool PostgresInstalled()
    {
        try
        {
            _ = RequiredBinary.Find("initdb", "postgresql");
            return true;
        }
        catch (MissingBinaryException)
        {
            return false;
        }
    }

    public static async Task<BenchStore> StartAsync(string kind, CancellationToken cancellationToken)
    {
        BenchStore bench;
        if (kind == Postgres)
        {
            var postgres = new PostgresFixture();
            await postgres.InitializeAsync().ConfigureAwait(false);
            var connection = await postgres.CreateDatabaseAsync("fhirbench", cancellationToken).ConfigureAwait(false);
            var raw = await postgres.CreateDatabaseAsync("rawbench", cancellationToken).ConfigureAwait(false);
            bench = new BenchStore(kind, new SqlFhirStore(new PostgresDialect(connection), FhirDefinitions.R4), RawRows.Postgres(raw), null, postgres);
        }
        else
        {
            var folder = Directory.CreateTempSubdirectory("ps-fhir-bench-").FullName;
            bench = new BenchStore(kind, new SqlFhirStore(new SqliteDialect(Path.Combine(folder, "fhir.db")), FhirDefinitions.R4),
                RawRows.Sqlite(Path.Combine(folder, "raw.db")), folder, null);
        }

        await bench.Store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await bench.Raw.InitializeAsync(cancellationToken).ConfigureAwait(false);
        return bench;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync().ConfigureAwait(false);
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync().ConfigureAwait(false);
        }

        if (_folder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
