using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Storage;
using PatientStream.Testing;

namespace PatientStream.Fhir.Tests.Storage;

/// <summary>One PostgreSQL server for every PostgreSQL test class; each test gets its own database.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresServerGroup : ICollectionFixture<PostgresFixture>
{
    public const string Name = "fhir-postgres";
}

[Collection(PostgresServerGroup.Name)]
public sealed class PostgresStoreTests(PostgresFixture postgres) : FhirStoreBehaviour
{
    protected override async Task<IFhirStore> CreateStoreAsync() =>
        new SqlFhirStore(new PostgresDialect(await postgres.CreateDatabaseAsync("fhir")), FhirDefinitions.R4);
}

[Collection(PostgresServerGroup.Name)]
public sealed class PostgresSearchTests(PostgresFixture postgres) : SearchBehaviour
{
    protected override async Task<IFhirStore> CreateStoreAsync() =>
        new SqlFhirStore(new PostgresDialect(await postgres.CreateDatabaseAsync("fhir")), FhirDefinitions.R4);
}

[Collection(PostgresServerGroup.Name)]
public sealed class PostgresSearchModifierTests(PostgresFixture postgres) : SearchModifierBehaviour
{
    protected override async Task<IFhirStore> CreateStoreAsync() =>
        new SqlFhirStore(new PostgresDialect(await postgres.CreateDatabaseAsync("fhir")), FhirDefinitions.R4);
}
