using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Service;

namespace PatientStream.Fhir.Bench;

/// <summary>Ingest through transaction Bundles, then the common clinician searches against the loaded store.</summary>
internal static class FhirBenchmark
{
    private static readonly string[] Codes = ["8867-4", "59408-5", "9279-1", "8310-5", "29463-7"];
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<IReadOnlyList<FhirBenchResult>> RunAsync(BenchStore target, BenchOptions options, CancellationToken ct)
    {
        var results = new List<FhirBenchResult>();
        var patients = new List<string>();
        long resources = 0;
        var watch = Stopwatch.StartNew();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        for (var p = 0; p < options.Patients; p++)
        {
            var text = PatientBundle(p, options.PerPatient);
            var response = await target.Service.ProcessBundleAsync((JsonObject)JsonNode.Parse(text)!, ct).ConfigureAwait(false);
            patients.Add(response["entry"]![0]!["resource"]!["id"]!.GetValue<string>());
            resources += options.PerPatient + 1;
            if (p % 100 == 99)
            {
                Console.WriteLine($"  loaded {resources.ToString("N0", CultureInfo.InvariantCulture)} resources, {resources / watch.Elapsed.TotalSeconds:0} resources/s");
            }
        }

        var rate = resources / watch.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        results.Add(new FhirBenchResult(target.Kind, "ingest (transaction Bundles of 1 Patient + Observations)", rate, "resources/s", target.Kind == "sqlite" ? "≥ 10,000" : string.Empty, target.Kind != "sqlite" || rate >= 10_000));

        // Wall-clock figures depend on what else the machine runs; per CPU-second of this process they do not.
        results.Add(new FhirBenchResult(target.Kind, "ingest per CPU-second of the server process", resources / cpu, "resources/cpu-s", string.Empty, true));

        var mid = PatientStream.Fhir.Validation.FhirDateTime.FormatInstant(Start.AddMinutes(options.PerPatient / 2));
        var random = new Random(42);
        var queries = new (string Name, Func<int, Task> Run)[]
        {
            ("Observation?patient=&code=&date=ge&_sort=-date&_count=50", i => SearchAsync(target, "Observation", $"patient=Patient/{patients[i]}&code=http://loinc.org|8867-4&date=ge{mid}&_sort=-date&_count=50", ct)),
            ("Patient?identifier=", i => SearchAsync(target, "Patient", $"identifier=urn:mrn|mrn-{i}", ct)),
            ("Observation?patient=&_summary=count", i => SearchAsync(target, "Observation", $"patient={patients[i]}&_summary=count", ct)),
            ("Observation?patient=&code=&_include=Observation:patient&_count=50", i => SearchAsync(target, "Observation", $"patient={patients[i]}&code=8867-4&_include=Observation:patient&_count=50", ct)),
            ("Patient/$everything", async i =>
            {
                var all = await target.Service.EverythingAsync(patients[i], ct).ConfigureAwait(false);
                _ = BundleWriter.Collection("http://bench/fhir", "searchset", all).ToJsonString();
            }),
        };
        foreach (var (name, run) in queries)
        {
            var samples = new List<double>();
            for (var q = 0; q < options.Queries; q++)
            {
                var i = random.Next(patients.Count);
                var sw = Stopwatch.StartNew();
                await run(i).ConfigureAwait(false);
                samples.Add(sw.Elapsed.TotalMilliseconds);
            }

            samples.Sort();
            var p50 = samples[samples.Count / 2];
            var p99 = samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(samples.Count * 0.99) - 1)];
            results.Add(new FhirBenchResult(target.Kind, name + " p50", p50, "ms", string.Empty, true));
            results.Add(new FhirBenchResult(target.Kind, name + " p99", p99, "ms", "< 50 ms", p99 < 50));
            Console.WriteLine($"  {name}: p50 {p50:0.0} ms, p99 {p99:0.0} ms");
        }

        return results;
    }

    private static async Task SearchAsync(BenchStore target, string type, string query, CancellationToken ct)
    {
        var result = await target.Service.SearchAsync(type, query, false, ct).ConfigureAwait(false);
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
