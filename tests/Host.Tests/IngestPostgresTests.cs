using PatientStream.Host.Commands;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class IngestPostgresTests(KafkaFixture kafka, InfluxFixture influx, PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Ingest_with_the_postgres_store_writes_the_observations_there()
    {
        using var data = new TempFolder("ingest-pg");
        var connection = await postgres.CreateDatabaseAsync("ingest");
        var settings = new IngestSettings(kafka.BootstrapServers, influx.Url.ToString(), $"i{Guid.NewGuid():N}", data.Path, "postgres", connection);
        Assert.Empty(settings.Problems());

        var found = await IngestCommandTests.IngestOneBatchAsync(kafka, settings, "Patient/p-pg");

        Assert.Equal(2, found.Count);
        Assert.False(File.Exists(Path.Combine(data.Path, "fhir", "fhir.db")));
    }
}
