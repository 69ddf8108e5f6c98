using Confluent.Kafka;

namespace PatientStream.Kafka;

/// <summary>
/// librdkafka's in-process mock cluster: real Kafka protocol on loopback ports, so demo and tests run the production
/// clients unchanged. Other processes can use <see cref="BootstrapServers"/> too. Topics are auto-created on first use
/// (admin topic creation is not supported by the mock) with <see cref="DefaultPartitions"/> partitions.
/// </summary>
public sealed class EmbeddedKafkaCluster : IDisposable
{
    /// <summary>Partitions of an auto-created topic on the mock cluster (librdkafka's default).</summary>
    public const int DefaultPartitions = 4;

    private readonly IProducer<Null, Null> _owner;

    private EmbeddedKafkaCluster(IProducer<Null, Null> owner, string bootstrapServers)
    {
        _owner = owner;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    /// <summary>Starts a mock cluster of <paramref name="brokers"/> brokers; it lives until disposed.</summary>
    public static EmbeddedKafkaCluster Start(int brokers = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        _ = KafkaNative.Version();
        var config = new ProducerConfig { ClientId = "patientstream-mock-cluster" };
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var owner = new ProducerBuilder<Null, Null>(config).SetLogHandler((_, _) => { }).Build();
        try
        {
            using var admin = new DependentAdminClientBuilder(owner.Handle).Build();
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
            var servers = string.Join(',', metadata.Brokers.OrderBy(b => b.BrokerId).Select(b => $"{b.Host}:{b.Port}"));
            return new EmbeddedKafkaCluster(owner, servers);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    /// <summary>The options that point clients at this cluster.</summary>
    public KafkaOptions Options(string clientId = "patientstream") => new() { BootstrapServers = BootstrapServers, ClientId = clientId };

    public void Dispose() => _owner.Dispose();
}
