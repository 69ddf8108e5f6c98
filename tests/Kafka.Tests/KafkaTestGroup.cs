using PatientStream.Testing;

namespace PatientStream.Kafka.Tests;

/// <summary>One mock cluster for the whole assembly; tests isolate themselves with unique topics and groups.</summary>
[CollectionDefinition(Name)]
public sealed class KafkaTestGroup : ICollectionFixture<KafkaFixture>
{
    public const string Name = "kafka";
}
