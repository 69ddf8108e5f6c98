using PatientStream.Testing;

namespace PatientStream.Host.Tests;

/// <summary>One Kafka mock cluster, InfluxDB and Mosquitto for the pipeline command tests; tests isolate themselves by topic, group and database.</summary>
[CollectionDefinition(Name)]
public sealed class PipelineServers : ICollectionFixture<KafkaFixture>, ICollectionFixture<InfluxFixture>, ICollectionFixture<PlainMosquitto>
{
    public const string Name = "pipeline servers";

    /// <summary>How long a test waits for a signal before it fails.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
}

/// <summary>Mosquitto without TLS (the fixture type xunit builds needs a single constructor).</summary>
public sealed class PlainMosquitto() : MosquittoFixture(new MosquittoOptions());
