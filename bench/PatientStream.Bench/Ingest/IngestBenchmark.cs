using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Ingest;
using PatientStream.Ingest.Fhir;
using PatientStream.Ingest.Influx;
using PatientStream.Kafka;
using PatientStream.Testing;

namespace PatientStream.Bench.Ingest;

/// <summary>
/// The ingest stage (parse, dedupe state in SQLite, clean, InfluxDB line protocol, sinks, offset commit) next to raw
/// librdkafka consumption of the same records in the same run, on InfluxDB 1.6 and the Kafka mock cluster it starts
/// itself; then Kafka-to-InfluxDB latency at a steady load of half the measured throughput.
/// </summary>
internal sealed class IngestBenchmark : IBenchmark
{
    private const int PerReading = 50;
    private const double Target = 100_000;

    public string Name => "ingest";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var readings = settings.Scale(4_000, 600);
        var influx = new InfluxFixture();
        await influx.InitializeAsync().ConfigureAwait(false);
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        using var folder = new TempFolder("bench-ingest");
        try
        {
            var kafka = cluster.Options("bench-ingest");
            using var producer = new KafkaProducer(kafka with { LingerMs = 20 });
            var load = new IngestLoad(producer);
            var influxOptions = new InfluxOptions { Url = influx.Url, Database = "bench" };
            var topic = $"bench.ingest.{Guid.NewGuid():N}";
            await load.ProduceBatchesAsync(topic, readings, PerReading, DateTimeOffset.UtcNow.AddHours(-2), cancellationToken).ConfigureAwait(false);
            var total = (long)readings * PerReading;

            var raw = IngestLoad.RawConsume(cluster.BootstrapServers, topic, readings, cancellationToken) * PerReading;

            var counted = new LatencySink();
            // Batches of 200 readings (10,000 samples): the rate is taken after the first batch (group join is not
            // throughput), so a run needs several.
            var (throughput, phases) = await ThroughputAsync(kafka with { MaxBatchSize = 200 }, Options(folder, topic, "influx"), influxOptions, counted, counted,
                total, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"  ingest phases (InfluxDB + counting sink): {phases}");

            // The same records once more through a second group, now with the FHIR Observation sink on a SQLite store.
            var store = new SqlFhirStore(new SqliteDialect(folder.Combine("fhir-store.db")), FhirDefinitions.R4);
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            var fhirCounted = new LatencySink();
            var fhirSink = new FhirObservationSink(new FhirServiceWriter(new FhirService(store)));
            // Small: every sample becomes an Observation and a Provenance in the store, orders of magnitude slower than InfluxDB.
            var fhirReadings = settings.Scale(40, 12);
            var fhirTopic = $"bench.ingest-fhir.{Guid.NewGuid():N}";
            await load.ProduceBatchesAsync(fhirTopic, fhirReadings, PerReading, DateTimeOffset.UtcNow.AddHours(-1), cancellationToken).ConfigureAwait(false);
            var (withFhir, fhirPhases) = await ThroughputAsync(kafka with { MaxBatchSize = Math.Max(1, fhirReadings / 4) }, Options(folder, fhirTopic, "fhir"), influxOptions with { Database = "bench_fhir" },
                fhirSink, fhirCounted, (long)fhirReadings * PerReading, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"  ingest phases (InfluxDB + FHIR): {fhirPhases}");

            var rate = (int)Math.Clamp(throughput / 2, 1_000, 50_000);
            var (p50, p99) = await LatencyAsync(kafka, load, Options(folder, $"bench.ingest-latency.{Guid.NewGuid():N}", "latency"), influxOptions, rate,
                TimeSpan.FromSeconds(settings.Scale(10, 3)), cancellationToken).ConfigureAwait(false);

            return
            [
                new BenchResult("ingest → InfluxDB + sample sink (dedupe state, commit; 50 samples per record)", throughput, "samples/s", "raw librdkafka consume of the same records",
                    raw, "≥ 100,000 samples/s", throughput >= Target),
                new BenchResult("ingest → InfluxDB + FHIR Observations (SQLite store)", withFhir, "samples/s", "raw librdkafka consume of the same records",
                    raw, "≥ 100,000 samples/s", withFhir >= Target),
                new BenchResult($"ingest Kafka→InfluxDB latency p50 at {rate:N0} samples/s", p50, "ms", null, null, null, null),
                new BenchResult($"ingest Kafka→InfluxDB latency p99 at {rate:N0} samples/s", p99, "ms", null, null, null, null),
            ];
        }
        finally
        {
            await influx.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<(double Rate, string Phases)> ThroughputAsync(KafkaOptions kafka, IngestOptions options, InfluxOptions influx,
        ICleanSampleSink sink, LatencySink counter, long total, CancellationToken cancellationToken)
    {
        ICleanSampleSink[] sinks = ReferenceEquals(sink, counter) ? [counter] : [sink, counter];
        using var service = new IngestService(kafka, options, influx, sinks);
        await service.StartAsync(cancellationToken).ConfigureAwait(false);
        await service.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
        await UntilAsync(service, counter.WaitForAsync(total, TimeSpan.FromMinutes(10), cancellationToken)).ConfigureAwait(false);
        var rate = counter.Rate;
        // Stopping waits for the batch in hand, so the phase times are complete afterwards.
        await service.StopAsync(CancellationToken.None).ConfigureAwait(false);
        var c = service.Counters!;
        return (rate, $"clean+dedupe {c.CleanTime.TotalSeconds:F2} s, InfluxDB {c.InfluxTime.TotalSeconds:F2} s, " +
            $"sinks+dead letters {c.SinkTime.TotalSeconds:F2} s, state commit {c.StateTime.TotalSeconds:F2} s");
    }

    /// <summary>Awaits <paramref name="reached"/>, failing at once with the service's own error if the service stops first.</summary>
    private static async Task UntilAsync(IngestService service, Task reached)
    {
        var first = await Task.WhenAny(reached, service.ExecuteTask!).ConfigureAwait(false);
        if (first != reached)
        {
            await service.ExecuteTask!.ConfigureAwait(false);
            throw new InvalidOperationException("The ingest service stopped before the bench load was through.");
        }
        await reached.ConfigureAwait(false);
    }

    /// <summary>p50 and p99 from production (the sample time) to the sinks that follow the InfluxDB write, after a warm-up.</summary>
    private static async Task<(double P50, double P99)> LatencyAsync(KafkaOptions kafka, IngestLoad load, IngestOptions options, InfluxOptions influx,
        int rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var latency = new LatencySink();
        // The stage's own consumer settings (IngestOptions.FetchWaitMaxMs 50 ms, batches closed after 20 ms).
        using var service = new IngestService(kafka, options, influx, [latency]);
        await service.StartAsync(cancellationToken).ConfigureAwait(false);
        await service.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
        var warmUp = await load.ProduceSteadyAsync(options.Topic, 1_000, PerReading, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        await latency.WaitForAsync((long)warmUp * PerReading, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        latency.Reset();
        var produced = await load.ProduceSteadyAsync(options.Topic, rate, PerReading, duration, cancellationToken).ConfigureAwait(false);
        await UntilAsync(service, latency.WaitForAsync((long)produced * PerReading, TimeSpan.FromMinutes(5), cancellationToken)).ConfigureAwait(false);
        await service.StopAsync(CancellationToken.None).ConfigureAwait(false);
        var (p50, p99, _) = latency.Percentiles();
        return (p50, p99);
    }

    private static IngestOptions Options(TempFolder folder, string topic, string name) => new()
    {
        Topic = topic, GroupId = $"bench-ingest-{name}-{Guid.NewGuid():N}", StatePath = folder.Combine($"ingest-state-{name}.db"),
        DeadLetterTopic = $"bench.dlq.{Guid.NewGuid():N}", MaxSampleAge = TimeSpan.FromDays(3650),
    };
}
