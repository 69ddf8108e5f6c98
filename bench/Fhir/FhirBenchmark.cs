using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Service;

namespace PatientStream.Fhir.Bench;

/// <summary>
/// Ingest through transaction Bundles (next to raw inserts of the same resources' JSON), then the common clinician
/// searches against the loaded store.
/// </summary>
public static class FhirBenchmark
{
    private static readonly string[] Codes = ["8867-4", "59408-5", "9279-1", "8310-5", "29463-7"];
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<IReadOnlyList<FhirBenchResult>> RunAsync(BenchStore target, FhirBenchOptions options, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        options.Validate();
        var results = new List<FhirBenchResult>();
        var raw = await RawRateAsync(target, options, cancellationToken).ConfigureAwait(false);
        var patients = new List<string>();
        long resources = 0;
        var watch = Stopwatch.StartNew();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        for (var p = 0; p < options.Patients; p++)
        {
            var text = PatientBundle(p, options.PerPatient);
            var response = await target.Service.ProcessBundleAsync((JsonObject)JsonNode.Parse(text)!, cancellationToken).ConfigureAwait(false);
            patients.Add(response["entry"]![0]!["resource"]!["id"]!.GetValue<string>());
            resources += options.PerPatient + 1;
            if (p % 100 == 99)
            {
                await progress.WriteLineAsync($"  {target.Kind}: loaded {resources.ToString("N0", CultureInfo.InvariantCulture)} resources, {resources / watch.Elapsed.TotalSeconds:0} resources/s").ConfigureAwait(false);
            }
        }

        var rate = resources / watch.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        var baseline = $"raw {target.Kind} inserts of the same resources' JSON";
        results.Add(new FhirBenchResult(target.Kind, "ingest (transaction Bundles of 1 Patient + Observations)", rate, "resources/s",
            target.Kind == BenchStore.Sqlite ? "≥ 10,000 resources/s" : null, target.Kind == BenchStore.Sqlite ? rate >= 10_000 : null)
        {
            Baseline = baseline,
            BaselineValue = raw,
        });

        // Wall-clock figures depend on what else the machine runs; per CPU-second of this process they do not.
        results.Add(new FhirBenchResult(target.Kind, target.Kind == BenchStore.Sqlite ? "ingest per CPU-second of the server process"
            : "ingest per CPU-second of the server process (PostgreSQL's own CPU not counted)", resources / cpu, "resources/CPU-s", null, null));

        var mid = PatientStream.Fhir.Validation.FhirDateTime.FormatInstant(Start.AddMinutes(options.PerPatient / 2));
        var random = new Random(42);
        var queries = new (string Name, Func<int, Task> Run)[]
        {
            ("Observation?patient=&code=&date=ge&_sort=-date&_count=50", i => SearchAsync(target, "Observation", $"patient=Patient/{patients[i]}&code=http://loinc.org|8867-4&date=ge{mid}&_sort=-date&_count=50", cancellationToken)),
            ("Patient?identifier=", i => SearchAsync(target, "Patient", $"identifier=urn:mrn|mrn-{i}", cancellationToken)),
            ("Observation?patient=&_summary=count", i => SearchAsync(target, "Observation", $"patient={patients[i]}&_summary=count", cancellationToken)),
            ("Observation?patient=&code=&_include=Observation:patient&_count=50", i => SearchAsync(target, "Observation", $"patient={patients[i]}&code=8867-4&_include=Observation:patient&_count=50", cancellationToken)),
            ("Patient/$everything", async i =>
            {
                var all = await target.Service.EverythingAsync(patients[i], cancellationToken).ConfigureAwait(false);
                _ = BundleWriter.Collection("http://bench/fhir", "searchset", all).ToJsonString();
            }),
        };
        foreach (var (name, run) in queries)
        {
            var samples = new double[options.Queries];
            for (var q = 0; q < options.Queries; q++)
            {
                var i = random.Next(patients.Count);
                var sw = Stopwatch.StartNew();
                await run(i).ConfigureAwait(false);
                samples[q] = sw.Elapsed.TotalMilliseconds;
            }

            Array.Sort(samples);
            var p50 = Percentile(samples, 0.50);
            var p99 = Percentile(samples, 0.99);
            results.Add(new FhirBenchResult(target.Kind, name + " p50", p50, "ms", null, null));
            results.Add(new FhirBenchResult(target.Kind, name + " p99", p99, "ms", "< 50 ms", p99 < 50));
            await progress.WriteLineAsync($"  {target.Kind} {name}: p50 {p50:0.0} ms, p99 {p99:0.0} ms").ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>The value below which <paramref name="p"/> of the sorted samples fall (nearest rank).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>The same Bundles as the FHIR load, generated and parsed the same way, each resource's JSON a bare row.</summary>
    private static async Task<double> RawRateAsync(BenchStore target, FhirBenchOptions options, CancellationToken cancellationToken)
    {
        long rows = 0;
        var watch = Stopwatch.StartNew();
        for (var p = 0; p < options.Patients; p++)
        {
            var bundle = (JsonObject)JsonNode.Parse(PatientBundle(p, options.PerPatient))!;
            var entries = bundle["entry"]!.AsArray()
                .Select(e => (e!["resource"]!["resourceType"]!.GetValue<string>(), e["resource"]!.ToJsonString()))
                .ToList();
            rows += await target.Raw.InsertAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        return rows / watch.Elapsed.TotalSeconds;
    }

    private static async Task SearchAsync(BenchStore target, string type, string query, CancellationToken cancellationToken)
    {
        var result = await target.Service.SearchAsync(type, query, false, cancellationToken).ConfigureAwait(false);
        _ = BundleWriter.Searchset("http://bench/fhir", result, query, target.Service.Definitions).ToJsonString();
    }

    private static string PatientBundle(int index, int observations)
    {
        var sb = new StringBuilder(observations * 420);
        var patientUrl = $"urn:uuid:{Guid.NewGuid()}";
        sb.Append("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[");
        sb.Append(CultureInfo.InvariantCulture, $"{{\"fullUrl\":\"{patientUrl}\",\"resource\":{{\"resourceType\":\"Patient\",\"identifier\":[{{\"system\":\"urn:mrn\",\"value\":\"mrn-{index}\"}}],\"name\":[{{\"family\":\"Bench{index}\",\"given\":[\"Pat\"]}}],\"gender\":\"female\",\"birthDate\":\"1960-01-01\"}},");
        sb.Append(CultureInfo.InvariantCulture, $"\"request\":{{\"method\":\"POST\",\"url\":\"Patient\",\"ifNoneExist\":\"identifier=urn:mrn|mrn-{index}\"}}}}");
        for (var o = 0; o < observations; o++)
        {
            var code = Codes[o % Codes.Length];
            var when = PatientStream.Fhir.Validation.FhirDateTime.FormatInstant(Start.AddMinutes(o));
            sb.Append(CultureInfo.InvariantCulture, $",{{\"fullUrl\":\"urn:uuid:{Guid.NewGuid()}\",\"resource\":{{\"resourceType\":\"Observation\",\"status\":\"final\",");
            sb.Append("\"category\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"vital-signs\"}]}],");
            sb.Append(CultureInfo.InvariantCulture, $"\"code\":{{\"coding\":[{{\"system\":\"http://loinc.org\",\"code\":\"{code}\"}}]}},\"subject\":{{\"reference\":\"{patientUrl}\"}},");
            sb.Append(CultureInfo.InvariantCulture, $"\"effectiveDateTime\":\"{when}\",\"valueQuantity\":{{\"value\":{60 + (o % 40)},\"unit\":\"/min\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"/min\"}}}},");
            sb.Append("\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}");
        }

        sb.Append("]}");
        return sb.ToString();
    }
}
