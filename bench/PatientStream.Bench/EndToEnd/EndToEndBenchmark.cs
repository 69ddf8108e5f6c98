using System.Diagnostics;
using System.Globalization;
using PatientStream.Kafka;
using PatientStream.Mqtt.Bench;
using PatientStream.Testing;

namespace PatientStream.Bench.EndToEnd;

/// <summary>
/// The main figure of the product: device publish over MQTT → Mosquitto → <c>patientstream edge</c> → Kafka (mock
/// cluster) → <c>patientstream ingest</c> → InfluxDB and FHIR (the store <c>patientstream serve</c> answers from).
/// Real Mosquitto and InfluxDB, the product's processes as children of the host executable, devices bound and
/// consented through the server's API. Two phases: the target load (50,000 samples/s offered), then half of what
/// the pipeline sustained, for latency off saturation. Baselines from the same run: raw Mosquitto and raw librdkafka.
/// </summary>
internal sealed class EndToEndBenchmark : IBenchmark
{
    private const double TargetSamplesPerSecond = 50_000;
    private const string Database = "bench";

    public string Name => "end-to-end";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var host = await HostProcesses.LocateAsync(cancellationToken).ConfigureAwait(false);
        var broker = new MosquittoFixture(new MosquittoOptions { ExtraConfig = "max_queued_messages 0" });
        var influx = new InfluxFixture();
        using var folder = new TempFolder("bench-e2e");
        try
        {
            await broker.InitializeAsync().ConfigureAwait(false);
            await influx.InitializeAsync().ConfigureAwait(false);
            using var cluster = EmbeddedKafkaCluster.Start();
            var devices = DevicePublisher.DeviceNames(settings.Scale(200, 50));
            await using var publisher = new DevicePublisher(broker.Port, devices, connections: 4);

            Console.WriteLine("  baselines: raw Mosquitto, raw librdkafka…");
            var raw = await RawBaselines.MeasureAsync(broker.Port, cluster, publisher.BatchBytes, settings, cancellationToken).ConfigureAwait(false);

            await using (host.ConfigureAwait(false))
            {
                var port = FreePort.Next();
                var data = folder.Combine("server");
                var serve = await host.StartAsync("serve", ["serve", "--port", Invariant(port), "--data-dir", data], cancellationToken).ConfigureAwait(false);
                using var server = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Invariant(port)}/"), Timeout = TimeSpan.FromSeconds(30) };
                Console.WriteLine($"  enrolling {devices.Count + 1} devices through the consent API…");
                await Enrolment.EnrolAsync(server, [.. devices, DevicePublisher.ProbeDevice], cancellationToken).ConfigureAwait(false);
                var ingest = await host.StartAsync("ingest", ["ingest", "--kafka", cluster.BootstrapServers, "--influx", influx.Url.ToString(),
                    "--influx-db", Database, "--data-dir", data], cancellationToken).ConfigureAwait(false);
                var edge = await host.StartAsync("edge", ["edge", "--broker", $"{MosquittoFixture.Host}:{Invariant(broker.Port)}", "--kafka", cluster.BootstrapServers,
                    "--consent", server.BaseAddress!.ToString(), "--data-dir", folder.Combine("edge"), "--client-id", "edge-bench"], cancellationToken).ConfigureAwait(false);

                await publisher.ConnectAsync(cancellationToken).ConfigureAwait(false);
                using var influxHttp = new HttpClient { BaseAddress = influx.Url, Timeout = TimeSpan.FromSeconds(30) };
                using var fhirHttp = new HttpClient { BaseAddress = new Uri(server.BaseAddress, "fhir/"), Timeout = TimeSpan.FromSeconds(30) };
                var observer = new PipelineObserver(influxHttp, Database, fhirHttp, DateTimeOffset.UtcNow.AddMinutes(-1));
                using var stopObserving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var observing = observer.RunAsync(stopObserving.Token);
                var phases = new PhaseRunner(publisher, observer, host, settings.Scale(30_000, 10_000));

                // Warm-up (not measured): topic creation on the mock cluster, JIT, connection pools, consent caches.
                Console.WriteLine("  warm-up…");
                await phases.RunAsync(2_000, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(90), cancellationToken).ConfigureAwait(false);

                var duration = TimeSpan.FromSeconds(settings.Scale(60, 10));
                // Long enough for the FHIR writes of the last consumed batches to land, so the half-rate phase starts drained.
                var drain = TimeSpan.FromSeconds(settings.Scale(240, 45));
                Console.WriteLine($"  target load: {TargetSamplesPerSecond:N0} samples/s offered for {duration.TotalSeconds:0} s…");
                var full = await phases.RunAsync(TargetSamplesPerSecond, duration, drain, cancellationToken).ConfigureAwait(false);
                var half = Math.Max(200, full.InfluxRate / 2);
                Console.WriteLine($"  half load: {half:N0} samples/s for {duration.TotalSeconds / 2:0} s…");
                var relaxed = await phases.RunAsync(half, duration / 2, TimeSpan.FromSeconds(settings.Scale(60, 30)), cancellationToken).ConfigureAwait(false);

                var memory = new (string Name, int Pid)[]
                {
                    ("serve", serve.Pid), ("edge", edge.Pid), ("ingest", ingest.Pid), ("mosquitto", broker.Server.Pid), ("influxd", influx.Server.Pid),
                };
                var peaks = memory.Select(m => (m.Name, Peak: HostProcesses.PeakMegabytes(m.Pid))).ToList();
                await stopObserving.CancelAsync().ConfigureAwait(false);
                await observing.ConfigureAwait(false);
                return Rows(full, relaxed, raw, peaks);
            }
        }
        finally
        {
            await influx.DisposeAsync().ConfigureAwait(false);
            await broker.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static List<BenchResult> Rows(PhaseFigures full, PhaseFigures relaxed, RawFigures raw, List<(string Name, double Peak)> peaks)
    {
        const string mosquittoRate = "raw Mosquitto QoS 1 publish (mosquitto_pub, same batches)";
        const string kafkaRate = "raw librdkafka produce → consume (same record size)";
        const string mosquittoLatency = "raw Mosquitto pub → sub (mosquitto_pub → mosquitto_sub)";
        var load = full.Load;
        var rows = new List<BenchResult>
        {
            new($"e2e samples/s sustained publish → InfluxDB ({load})", full.InfluxRate, "samples/s", mosquittoRate, raw.MosquittoSamplesPerSecond,
                "≥ 50,000 samples/s", full.InfluxRate >= TargetSamplesPerSecond),
            new($"e2e samples/s sustained publish → FHIR Observations ({load})", full.FhirRate, "samples/s", kafkaRate, raw.KafkaSamplesPerSecond,
                "≥ 50,000 samples/s", full.FhirRate >= TargetSamplesPerSecond),
        };
        rows.Add(new($"e2e samples per CPU-second of serve + edge + ingest ({load})", full.SamplesPerCpuSecond, "samples/CPU-s", null, null, null, null));
        var relaxedLabel = $"{relaxed.Load}, half the sustained rate{(full.Drained ? "" : ", started with the target phase's backlog")}";
        foreach (var (phase, label) in new[] { (full, load), (relaxed, relaxedLabel) })
        {
            rows.Add(new($"e2e p50 publish → InfluxDB ({label})", phase.InfluxP50, "ms", mosquittoLatency, raw.MosquittoP50, null, null));
            rows.Add(new($"e2e p99 publish → InfluxDB ({label})", phase.InfluxP99, "ms", mosquittoLatency, raw.MosquittoP99, "< 1,000 ms", phase.InfluxP99 < 1_000));
            rows.Add(new($"e2e p50 publish → visible FHIR Observation ({label})", phase.FhirP50, "ms", mosquittoLatency, raw.MosquittoP50, null, null));
            rows.Add(new($"e2e p99 publish → visible FHIR Observation ({label})", phase.FhirP99, "ms", mosquittoLatency, raw.MosquittoP99, null, null));
        }
        rows.AddRange(peaks.Select(p => new BenchResult($"e2e peak memory (VmHWM) of {p.Name}", p.Peak, "MB", null, null, null, null)));
        return rows;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What one load phase measured. Rates count from the phase's first publish to the moment its last sample was visible.</summary>
internal sealed record PhaseFigures(double Offered, double InfluxRate, double FhirRate, double InfluxP50, double InfluxP99, double FhirP50, double FhirP99)
{
    /// <summary>Samples written to InfluxDB per CPU-second of serve + edge + ingest together (less sensitive to other load on the machine).</summary>
    public double SamplesPerCpuSecond { get; init; }

    /// <summary>Whether every published sample arrived before the drain deadline (otherwise the next phase starts with a backlog).</summary>
    public bool Drained { get; init; }

    /// <summary>What the publisher actually sent per second: below <see cref="Offered"/> when the in-flight window held it back.</summary>
    public double PublishedRate { get; init; }

    /// <summary>The in-flight window (samples) of the phase.</summary>
    public long Window { get; init; }

    /// <summary>Describes the load: when the pipeline could not keep up, latency is set by the window, not by the product alone.</summary>
    public string Load => PublishedRate < 0.9 * Offered
        ? $"{Offered:N0} samples/s offered, {PublishedRate:N0}/s published: saturated, {Window:N0} samples in flight at most"
        : $"{Offered:N0} samples/s offered";
}

/// <summary>Runs one load phase: publish, then wait (bounded) until every published sample is in InfluxDB and FHIR.</summary>
/// <param name="window">Samples allowed between publish and InfluxDB; at most 60,000 (~6 MB of Kafka records, below the mock cluster's cap).</param>
internal sealed class PhaseRunner(DevicePublisher publisher, PipelineObserver observer, HostProcesses host, long window)
{
    public async Task<PhaseFigures> RunAsync(double rate, TimeSpan duration, TimeSpan drain, CancellationToken cancellationToken)
    {
        host.EnsureAlive();
        var publishedBefore = publisher.PublishedSamples;
        var influxBefore = observer.InfluxSamples;
        var fhirBefore = observer.FhirObservations;
        var cpuBefore = host.ProductCpuSeconds();
        _ = observer.TakeLatencies();
        var watch = Stopwatch.StartNew();
        // The observer's counts start from everything already written; the window compares like with like.
        await publisher.RunAsync(rate, duration, () => observer.InfluxSamples - influxBefore + publishedBefore, window, cancellationToken).ConfigureAwait(false);
        var target = publisher.PublishedSamples - publishedBefore;
        TimeSpan? influxDone = null, fhirDone = null;
        var deadline = watch.Elapsed + drain;
        while ((influxDone is null || fhirDone is null) && watch.Elapsed < deadline)
        {
            host.EnsureAlive();
            influxDone ??= observer.InfluxSamples - influxBefore >= target ? watch.Elapsed : null;
            fhirDone ??= observer.FhirObservations - fhirBefore >= target ? watch.Elapsed : null;
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        if (influxDone is null || fhirDone is null)
        {
            Console.WriteLine($"  not all samples arrived within {drain.TotalSeconds:0} s of the end of publishing: InfluxDB {observer.InfluxSamples - influxBefore:N0}, FHIR {observer.FhirObservations - fhirBefore:N0} of {target:N0}");
        }
        var influxRate = (observer.InfluxSamples - influxBefore) / (influxDone ?? watch.Elapsed).TotalSeconds;
        var fhirRate = (observer.FhirObservations - fhirBefore) / (fhirDone ?? watch.Elapsed).TotalSeconds;
        var cpu = host.ProductCpuSeconds() - cpuBefore;
        var (influx, fhir) = observer.TakeLatencies();
        Console.WriteLine($"  published {target:N0} samples in {duration.TotalSeconds:0} s; InfluxDB {influxRate:N0}/s, FHIR {fhirRate:N0}/s; probe samples seen {influx.Length} / {fhir.Length}");
        return new PhaseFigures(rate, influxRate, fhirRate, Percentile(influx, 0.50), Percentile(influx, 0.99), Percentile(fhir, 0.50), Percentile(fhir, 0.99))
        {
            SamplesPerCpuSecond = cpu > 0 ? (observer.InfluxSamples - influxBefore) / cpu : double.NaN,
            Drained = influxDone is not null && fhirDone is not null,
            PublishedRate = target / duration.TotalSeconds,
            Window = window,
        };
    }

    private static double Percentile(double[] samples, double quantile) => samples.Length == 0 ? double.NaN : MqttBench.Percentile(samples, quantile);
}
