using PatientStream.Bench.Kafka;
using PatientStream.Kafka;

namespace PatientStream.Bench.Tests;

public sealed class KafkaBenchmarkTests
{
    [Fact]
    public void The_retention_check_passes_when_the_topic_holds_every_record_and_fails_loudly_when_it_does_not()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        var topic = $"bench.retained.{Guid.NewGuid():N}";

        var rate = KafkaBenchmark.RawProduce(cluster.BootstrapServers, topic, new byte[100], 500);

        Assert.True(rate > 0);
        KafkaBenchmark.EnsureRetained(cluster.BootstrapServers, topic, 500);
        var missing = Assert.Throws<InvalidOperationException>(() => KafkaBenchmark.EnsureRetained(cluster.BootstrapServers, topic, 501));
        Assert.Contains("holds 500 of 501 records", missing.Message, StringComparison.Ordinal);
    }
}
