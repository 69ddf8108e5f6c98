using Microsoft.Extensions.Options;

namespace PatientStream.Kafka.Tests;

public sealed class KafkaOptionsTests
{
    [Fact]
    public void Embedded_defaults_are_valid()
    {
        var options = KafkaOptionsValidator.EnsureValid(new KafkaOptions());
        Assert.True(options.IsEmbedded);
    }

    [Fact]
    public void Invalid_settings_fail_at_start_up_listing_every_problem()
    {
        var bad = new KafkaOptions { BootstrapServers = "kafka-1:9092,kafka-2", ClientId = " ", MaxBatchSize = 0, SessionTimeoutMs = 10 };
        var error = Assert.Throws<OptionsValidationException>(() => KafkaOptionsValidator.EnsureValid(bad));
        Assert.Contains(error.Failures, f => f.Contains("'kafka-2'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("ClientId", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxBatchSize", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("SessionTimeoutMs", StringComparison.Ordinal));
        Assert.DoesNotContain(error.Failures, f => f.Contains("kafka-1", StringComparison.Ordinal));
    }

    [Fact]
    public void Producer_refuses_embedded_options_with_a_clear_message()
    {
        var error = Assert.Throws<ArgumentException>(() => new KafkaProducer(new KafkaOptions()));
        Assert.Contains("EmbeddedKafkaCluster", error.Message, StringComparison.Ordinal);
    }
}
