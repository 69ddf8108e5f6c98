using System.CommandLine;
using PatientStream.Bench;
using PatientStream.Bench.Analytics;
using PatientStream.Bench.Edge;
using PatientStream.Bench.EndToEnd;
using PatientStream.Bench.Fhir;
using PatientStream.Bench.Kafka;
using PatientStream.Bench.Mqtt;

var quick = new Option<bool>("--quick") { Description = "A short run to check the benchmarks work; figures are not meaningful." };
var output = new Option<string>("--out") { Description = "Folder for latest.json and latest.md.", DefaultValueFactory = _ => "bench/results" };
var only = new Option<string?>("--only") { Description = "Run only benchmarks whose name contains this text." };
var root = new RootCommand("Run PatientStream's benchmarks and write bench/results/latest.json and latest.md.") { quick, output, only };
root.SetAction(async (result, cancellationToken) =>
{
    // Actors first: their memory figure is a heap difference, clearest in a fresh process.
    IBenchmark[] all = [new ActorBenchmark(), new MqttClientBenchmark(), new KafkaBenchmark(), new EdgeBenchmark(), new PatientStream.Bench.Ingest.IngestBenchmark(), new FhirStoreBenchmark(), new EndToEndBenchmark()];
    var settings = new BenchSettings(result.GetValue(quick));
    var filter = result.GetValue(only);
    var results = new List<BenchResult>();
    var unfinished = new List<string>();
    // A benchmark that stalls must not hold the others hostage: each gets a time limit, and the run reports it.
    var limit = settings.Quick ? TimeSpan.FromMinutes(4) : TimeSpan.FromMinutes(12);
    foreach (var benchmark in all.Where(b => filter is null || b.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
    {
        Console.WriteLine($"bench: {benchmark.Name}…");
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(limit);
        IReadOnlyList<BenchResult> rows;
        try
        {
            rows = await benchmark.RunAsync(settings, bounded.Token).WaitAsync(bounded.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Console.WriteLine($"bench: {benchmark.Name} did not finish within {limit.TotalMinutes:0} minutes; no figures from it");
            unfinished.Add(benchmark.Name);
            continue;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One broken benchmark must not cost the figures of the others.
            Console.WriteLine($"bench: {benchmark.Name} failed: {e.Message}");
            unfinished.Add(benchmark.Name);
            continue;
        }
        foreach (var row in rows)
        {
            Console.WriteLine($"  {row.Name}: {row.Value:0.##} {row.Unit}{(row.Ratio is { } r ? $" ({r:0.00}× {row.Baseline})" : "")}");
        }
        results.AddRange(rows);
    }
    var folder = Path.GetFullPath(result.GetValue(output)!);
    await Report.WriteAsync(folder, results, settings.Quick, unfinished, cancellationToken);
    Console.WriteLine($"bench: wrote {Path.Combine(folder, "latest.json")} and latest.md");
    if (unfinished.Count > 0)
    {
        Console.WriteLine($"bench: unfinished or failed: {string.Join(", ", unfinished)}");
        return 1;
    }
    return 0;
});
return await root.Parse(args).InvokeAsync();
