using PatientStream.Testing;

namespace PatientStream.Analytics.Tests.Kafka;

/// <summary>One mock Kafka cluster for the assembly; tests isolate themselves with unique topics and groups.</summary>
[CollectionDefinition(Name)]
public sealed class KafkaTestGroup : ICollectionFixture<KafkaFixture>
{
    public const string Name = "kafka";
}
