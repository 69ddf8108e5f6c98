using PatientStream.Testing;

namespace PatientStream.Ingest.Tests;

/// <summary>One InfluxDB and one Kafka mock cluster for the assembly; tests isolate themselves with their own databases, topics and groups.</summary>
[CollectionDefinition(Name)]
public sealed class ServerTestGroup : ICollectionFixture<InfluxFixture>, ICollectionFixture<KafkaFixture>
{
    public const string Name = "servers";
}
