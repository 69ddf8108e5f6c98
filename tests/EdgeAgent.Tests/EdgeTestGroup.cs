using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests;

/// <summary>One Kafka mock cluster for the assembly; tests isolate themselves with unique topics and folders.</summary>
[CollectionDefinition(Name)]
public sealed class EdgeTestGroup : ICollectionFixture<KafkaFixture>
{
    public const string Name = "edge";
}
