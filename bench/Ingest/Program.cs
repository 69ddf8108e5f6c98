using System.Globalization;
using PatientStream.Ingest;
using PatientStream.Ingest.Bench;
using PatientStream.Ingest.Influx;
using PatientStream.Kafka;
using PatientStream.Testing;

// Usage: PatientStream.Ingest.Bench [readings=10000] [samples-per-reading=10] [report-path]
var readings = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var perReading = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var reportPath = args.Length > 2 ? args[2] : null;

var influx = new InfluxFixture();
await influx.InitializeAsync();
using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
using var temp = new TempFolder("ingest-bench");
try
{
    var kafka = cluster.Options("bench");
    using var producer = new KafkaProducer(kafka with { LingerMs = 20 });
    var load = new BenchLoad(producer);
    var influxOptions = new InfluxOptions { Url = influx.Url, Database = "bench" };

    Console.WriteLine($"Producing {readings:N0} readings x {perReading} samples...");
    var throughputTopic = $"bench.raw.{Guid.NewGuid():N}";
    await load.ProduceBatchesAsync(throughputTopic, readings, perReading, DateTimeOffset.UtcNow.AddHours(-1));
    var total = (long)readings * perReading;

    // Baseline: the same records through the same consumer loop with a handler that only parses and counts them.
    var baseline = await BenchLoad.MeasureRawConsumeAsync(kafka, throughputTopic, producer, readings);
    Console.WriteLine($"Baseline raw consume: {baseline:N0} records/s ({baseline * perReading:N0} samples/s equivalent)");

    var throughputSink = new LatencySink();
    var throughputService = new IngestService(kafka, Options(throughputTopic, "throughput"), influxOptions, [throughputSink]);
    await throughputService.StartAsync(CancellationToken.None);
    await throughputService.Started;
    await throughputSink.WaitForAsync(total, TimeSpan.FromMinutes(10));
    var throughput = throughputSink.Rate;
    // Stopping waits for the batch in hand, so the phase times are complete afterwards.
    await throughputService.StopAsync(CancellationToken.None);
    var c = throughputService.Counters!;
    throughputService.Dispose();
    var phases = $"clean+dedupe {c.CleanTime.TotalSeconds:F2} s, InfluxDB {c.InfluxTime.TotalSeconds:F2} s, " +
        $"sinks+dead letters {c.SinkTime.TotalSeconds:F2} s, state commit {c.StateTime.TotalSeconds:F2} s";
    Console.WriteLine($"Ingest: {throughput:N0} samples/s ({throughput / (baseline * perReading):P0} of the raw consume baseline); {phases}");

    // Latency at a steady offered load below the measured capacity: sample time = production time. The instance is
    // warmed up (group joined, partitions assigned) before the clock matters.
    var latencyTopic = $"bench.latency.{Guid.NewGuid():N}";
    var latency = new LatencySink();
    // librdkafka's consumer otherwise lets a fetch wait up to 500 ms for data; a latency-sensitive deployment lowers it.
    var lowLatency = kafka with { Extra = new Dictionary<string, string> { ["fetch.wait.max.ms"] = "10" } };
    using var latencyService = new IngestService(lowLatency, Options(latencyTopic, "latency"), influxOptions, [latency]);
    await latencyService.StartAsync(CancellationToken.None);
    await latencyService.Started;
    var warmUp = await load.ProduceSteadyAsync(latencyTopic, 1_000, perReading, TimeSpan.FromSeconds(1));
    await latency.WaitForAsync(warmUp * perReading, TimeSpan.FromMinutes(2));
    latency.Reset();
    var rate = (int)Math.Clamp(throughput / 2, 1_000, 50_000);
    Console.WriteLine($"Latency run: {rate:N0} samples/s offered for 10 s...");
    var latencyReadings = await load.ProduceSteadyAsync(latencyTopic, rate, perReading, TimeSpan.FromSeconds(10));
    await latency.WaitForAsync(latencyReadings * perReading, TimeSpan.FromMinutes(5));
    var (p50, p99, max) = latency.Percentiles();
    Console.WriteLine($"Kafka-to-InfluxDB latency: p50 {p50:F1} ms, p99 {p99:F1} ms, max {max:F1} ms");
    await latencyService.StopAsync(CancellationToken.None);

    var report = BenchReport.Render(readings, perReading, baseline, total, throughput, phases, rate, p50, p99, max);
    Console.WriteLine(report);
    if (reportPath is not null)
    {
        await File.AppendAllTextAsync(reportPath, report);
    }
}
finally
{
    await influx.DisposeAsync();
}

IngestOptions Options(string topic, string name) => new()
{
    Topic = topic, GroupId = $"ingest-{name}-{Guid.NewGuid():N}", StatePath = temp.Combine($"{name}.db"),
    DeadLetterTopic = $"bench.dlq.{Guid.NewGuid():N}", MaxSampleAge = TimeSpan.FromDays(3650),
};
