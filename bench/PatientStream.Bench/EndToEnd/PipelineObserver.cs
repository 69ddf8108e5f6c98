using System.Globalization;
using System.Text.Json.Nodes;

namespace PatientStream.Bench.EndToEnd;

/// <summary>
/// Watches what has arrived downstream: sample counts in InfluxDB and Observation counts in FHIR (for throughput),
/// and the probe device's samples in both (for latency: visible time − the sample's own publish timestamp).
/// Latency resolution is the probe poll interval plus one query; it is measured, not estimated.
/// </summary>
internal sealed class PipelineObserver(HttpClient influx, string database, HttpClient fhir, DateTimeOffset since)
{
    private static readonly TimeSpan CountInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);
    private readonly List<double> _influxLatencies = [];
    private readonly List<double> _fhirLatencies = [];
    private readonly DateTimeOffset _since = since;
    private long _influxCount;
    private long _fhirCount;
    private DateTimeOffset _influxProbeSeen = since;
    private DateTimeOffset _fhirProbeSeen = since;

    public long InfluxSamples => Interlocked.Read(ref _influxCount);

    public long FhirObservations => Interlocked.Read(ref _fhirCount);

    /// <summary>Latencies (ms) recorded since the last call, then forgets them.</summary>
    public (double[] Influx, double[] Fhir) TakeLatencies()
    {
        lock (_influxLatencies)
        {
            double[] influxLatencies = [.. _influxLatencies.Order()];
            double[] fhirLatencies = [.. _fhirLatencies.Order()];
            _influxLatencies.Clear();
            _fhirLatencies.Clear();
            return (influxLatencies, fhirLatencies);
        }
    }

    /// <summary>Polls until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(
        LoopAsync(CountInterval, CountAsync, cancellationToken),
        LoopAsync(ProbeInterval, InfluxProbeAsync, cancellationToken),
        LoopAsync(ProbeInterval, FhirProbeAsync, cancellationToken));

    private static async Task LoopAsync(TimeSpan interval, Func<CancellationToken, Task> poll, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                try
                {
                    await poll(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    // A refused or timed-out query is a missed poll, not a failed run; the next poll catches up.
                    Console.WriteLine($"  poll failed: {e.Message}");
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task CountAsync(CancellationToken cancellationToken)
    {
        var query = $"SELECT count(\"value\") FROM \"heart-rate\",\"spo2\",\"respiratory-rate\" WHERE time >= {Nanoseconds(_since)}";
        var result = await InfluxAsync(query, cancellationToken).ConfigureAwait(false);
        var total = (result?["series"]?.AsArray() ?? []).Sum(s => s!["values"]![0]![1]!.GetValue<long>());
        Interlocked.Exchange(ref _influxCount, total);
        var bundle = await FhirAsync("Observation?_summary=count", cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _fhirCount, bundle?["total"]?.GetValue<long>() ?? 0);
    }

    private async Task InfluxProbeAsync(CancellationToken cancellationToken)
    {
        var query = $"SELECT \"value\" FROM \"heart-rate\" WHERE \"device\" = '{DevicePublisher.ProbeDevice}' AND time > {Nanoseconds(_influxProbeSeen)}";
        var result = await InfluxAsync(query, cancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        foreach (var row in result?["series"]?[0]?["values"]?.AsArray() ?? [])
        {
            var stamp = DateTimeOffset.UnixEpoch.AddTicks(row![0]!.GetValue<long>() / 100);
            Record(_influxLatencies, (now - stamp).TotalMilliseconds);
            _influxProbeSeen = stamp > _influxProbeSeen ? stamp : _influxProbeSeen;
        }
    }

    private async Task FhirProbeAsync(CancellationToken cancellationToken)
    {
        var after = PatientStream.Fhir.Validation.FhirDateTime.FormatInstant(_fhirProbeSeen);
        var bundle = await FhirAsync($"Observation?patient={Enrolment.Patient(DevicePublisher.ProbeDevice)}&date=gt{after}&_sort=-date&_count=500",
            cancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        foreach (var entry in bundle?["entry"]?.AsArray() ?? [])
        {
            var effective = entry?["resource"]?["effectiveDateTime"]?.GetValue<string>();
            if (effective is null)
            {
                continue;
            }
            var stamp = DateTimeOffset.Parse(effective, CultureInfo.InvariantCulture);
            Record(_fhirLatencies, (now - stamp).TotalMilliseconds);
            _fhirProbeSeen = stamp > _fhirProbeSeen ? stamp : _fhirProbeSeen;
        }
    }

    private void Record(List<double> latencies, double milliseconds)
    {
        lock (_influxLatencies)
        {
            latencies.Add(milliseconds);
        }
    }

    private async Task<JsonNode?> InfluxAsync(string query, CancellationToken cancellationToken)
    {
        var uri = new Uri($"query?db={Uri.EscapeDataString(database)}&epoch=ns&q={Uri.EscapeDataString(query)}", UriKind.Relative);
        using var response = await influx.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return json?["results"]?[0];
    }

    private async Task<JsonNode?> FhirAsync(string relative, CancellationToken cancellationToken)
    {
        using var response = await fhir.GetAsync(new Uri(relative, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    private static long Nanoseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}
