using Confluent.Kafka;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Tests;

/// <summary>Reads a test topic from the beginning with a plain consumer until the expected records arrived or the deadline passed.</summary>
internal static class TopicReader
{
    public static List<(string Key, RawReading Reading)> ReadRaw(string bootstrapServers, string topic, int expected, TimeSpan deadline)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        using var consumer = new ConsumerBuilder<string, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var result = new List<(string, RawReading)>();
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            while (result.Count < expected)
            {
                var record = consumer.Consume(timeout.Token);
                Assert.True(ContractsJson.TryParse(record.Message.Value, out RawReading? reading, out var error), error);
                result.Add((record.Message.Key, reading!));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"only {result.Count} of {expected} records reached {topic} before the deadline");
        }
        finally
        {
            consumer.Close();
        }
        return result;
    }
}
