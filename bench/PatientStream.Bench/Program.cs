using System.CommandLine;
using PatientStream.Bench;
using PatientStream.Bench.Analytics;
using PatientStream.Bench.Kafka;
using PatientStream.Bench.Mqtt;

var quick = new Option<bool>("--quick") { Description = "A short run to check the benchmarks work; figures are not meaningful." };
var output = new Option<string>("--out") { Description = "Folder for latest.json and latest.md.", DefaultValueFactory = _ => "bench/results" };
var only = new Option<string?>("--only") { Description = "Run only benchmarks whose name contains this text." };
var root = new RootCommand("Run PatientStream's benchmarks and write bench/results/latest.json and latest.md.") { quick, output, only };
root.SetAction(async (result, cancellationToken) =>
{
    IBenchmark[] all = [new MqttClientBenchmark(), new KafkaBenchmark(), new ActorBenchmark()];
    var settings = new BenchSettings(result.GetValue(quick));
    var filter = result.GetValue(only);
    var results = new List<BenchResult>();
    foreach (var benchmark in all.Where(b => filter is null || b.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
    {
        Console.WriteLine($"bench: {benchmark.Name}…");
        var rows = await benchmark.RunAsync(settings, cancellationToken);
        foreach (var row in rows)
        {
            Console.WriteLine($"  {row.Name}: {row.Value:0.##} {row.Unit}{(row.Ratio is { } r ? $" ({r:0.00}× {row.Baseline})" : "")}");
        }
        results.AddRange(rows);
    }
    var folder = Path.GetFullPath(result.GetValue(output)!);
    await Report.WriteAsync(folder, results, settings.Quick, cancellationToken);
    Console.WriteLine($"bench: wrote {Path.Combine(folder, "latest.json")} and latest.md");
    return 0;
});
return await root.Parse(args).InvokeAsync();
