using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Storage;

namespace PatientStream.Fhir.Tests.Storage;

/// <summary>A SQLite database file in its own temporary folder, removed afterwards.</summary>
public sealed class SqliteTestDatabase : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ps-fhir-sqlite-").FullName;

    public IFhirStore CreateStore() => new SqlFhirStore(new SqliteDialect(Path.Combine(_directory, "fhir.db")), FhirDefinitions.R4);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class SqliteStoreTests : FhirStoreBehaviour, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override Task<IFhirStore> CreateStoreAsync() => Task.FromResult(_database.CreateStore());

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteSearchTests : SearchBehaviour, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override Task<IFhirStore> CreateStoreAsync() => Task.FromResult(_database.CreateStore());

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteSearchModifierTests : SearchModifierBehaviour, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override Task<IFhirStore> CreateStoreAsync() => Task.FromResult(_database.CreateStore());

    public void Dispose() => _database.Dispose();
}
