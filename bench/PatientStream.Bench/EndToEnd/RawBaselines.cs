using PatientStream.Bench.Kafka;
using PatientStream.Kafka;
using PatientStream.Mqtt.Bench;

namespace PatientStream.Bench.EndToEnd;

/// <summary>What the bare transports do with the same batches on the same servers in the same run.</summary>
internal sealed record RawFigures(double MosquittoSamplesPerSecond, double MosquittoP50, double MosquittoP99, double KafkaSamplesPerSecond);

internal static class RawBaselines
{
    /// <summary>
    /// mosquitto_pub (QoS 1, batch-sized payloads, 4 connections) and mosquitto_pub → mosquitto_sub latency;
    /// raw librdkafka produce then consume of records the size of a forwarded reading.
    /// </summary>
    public static async Task<RawFigures> MeasureAsync(int brokerPort, EmbeddedKafkaCluster cluster, int batchBytes, BenchSettings settings,
        CancellationToken cancellationToken)
    {
        var mosquitto = new MosquittoBaseline(new MqttBenchOptions { Port = brokerPort, PayloadBytes = batchBytes }, batchBytes);
        var batches = settings.Scale(40_000, 4_000);
        var published = await mosquitto.ThroughputAsync(4, batches, 1, cancellationToken).ConfigureAwait(false);
        var (p50, p99) = await mosquitto.LatencyAsync(settings.Scale(1_000, 100), cancellationToken).ConfigureAwait(false);

        // A forwarded reading carries the batch plus device, patient, received time and the consent decision.
        var record = new byte[batchBytes + 200];
        Random.Shared.NextBytes(record);
        // The mock cluster caps each partition at about 5 MB (see KafkaBenchmark); 6,000 such records stay well below.
        var records = settings.Scale(6_000, 3_000);
        var topic = $"bench.e2e.raw.{Guid.NewGuid():N}";
        var produce = KafkaBenchmark.RawProduce(cluster.BootstrapServers, topic, record, records);
        KafkaBenchmark.EnsureRetained(cluster.BootstrapServers, topic, records);
        var consume = KafkaBenchmark.RawConsume(cluster.BootstrapServers, topic, records, cancellationToken);
        var kafka = 1 / (1 / produce + 1 / consume);
        return new RawFigures(published * DevicePublisher.SamplesPerBatch, p50, p99, kafka * DevicePublisher.SamplesPerBatch);
    }
}
