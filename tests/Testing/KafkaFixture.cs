using PatientStream.Kafka;

namespace PatientStream.Testing;

/// <summary>librdkafka's mock cluster (3 brokers) for a test collection; topics auto-create with 4 partitions.</summary>
public sealed class KafkaFixture : IAsyncLifetime
{
    private EmbeddedKafkaCluster? _cluster;

    public string BootstrapServers => Cluster.BootstrapServers;

    public EmbeddedKafkaCluster Cluster => _cluster ?? throw new InvalidOperationException("The Kafka mock cluster is not started.");

    /// <summary>Options for a client of this cluster.</summary>
    public KafkaOptions Options(string clientId = "test") => Cluster.Options(clientId) with { SessionTimeoutMs = 6_000 };

    /// <summary>A topic name no other test uses, so tests on one cluster never see each other's records.</summary>
    public static string UniqueTopic(string prefix = "t") => $"{prefix}.{Guid.NewGuid():N}";

    public Task InitializeAsync()
    {
        _cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _cluster?.Dispose();
        return Task.CompletedTask;
    }
}
