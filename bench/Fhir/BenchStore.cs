using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Testing;

namespace PatientStream.Fhir.Bench;

/// <summary>A store to measure: SQLite in a temporary folder, or a real PostgreSQL server started for the run.</summary>
internal sealed class BenchStore : IAsyncDisposable
{
    private readonly string? _folder;
    private readonly PostgresFixture? _postgres;

    private BenchStore(string kind, IFhirStore store, string? folder, PostgresFixture? postgres)
    {
        Kind = kind;
        Store = store;
        Service = new FhirService(store);
        _folder = folder;
        _postgres = postgres;
    }

    public string Kind { get; }

    public IFhirStore Store { get; }

    public FhirService Service { get; }

    public static async Task<BenchStore> StartAsync(string kind, CancellationToken ct)
    {
        BenchStore bench;
        if (kind == "postgres")
        {
            var postgres = new PostgresFixture();
            await postgres.InitializeAsync().ConfigureAwait(false);
            var connection = await postgres.CreateDatabaseAsync("fhirbench", ct).ConfigureAwait(false);
            bench = new BenchStore(kind, new SqlFhirStore(new PostgresDialect(connection), FhirDefinitions.R4), null, postgres);
        }
        else
        {
            var folder = Directory.CreateTempSubdirectory("ps-fhir-bench-").FullName;
            bench = new BenchStore(kind, new SqlFhirStore(new SqliteDialect(Path.Combine(folder, "fhir.db")), FhirDefinitions.R4), folder, null);
        }

        await bench.Store.InitializeAsync(ct).ConfigureAwait(false);
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
            Directory.Delete(_folder, recursive: true);
        }
    }
}
