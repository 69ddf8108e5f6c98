using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PatientStream.Bench;

/// <summary>Writes bench/results/latest.json (a list of results) and latest.md (a table with the machine).</summary>
internal static class Report
{
    public static async Task WriteAsync(string folder, IReadOnlyList<BenchResult> results, bool quick, IReadOnlyList<string> unfinished, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "latest.json"),
            JsonSerializer.Serialize(results, BenchJson.Default.IReadOnlyListBenchResult), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "latest.md"), Markdown(results, quick, unfinished), cancellationToken).ConfigureAwait(false);
    }

    private static string Markdown(IReadOnlyList<BenchResult> results, bool quick, IReadOnlyList<string> unfinished)
    {
        var md = new StringBuilder();
        md.AppendLine("# PatientStream benchmarks").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(quick ? " (quick run: smoke figures only)" : "")}.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine()}").AppendLine();
        if (unfinished.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"**Failed or unfinished, no figures:** {string.Join(", ", unfinished)} (see the run's output).").AppendLine();
        }
        md.AppendLine("| benchmark | value | unit | baseline | baseline value | ratio | target | met |");
        md.AppendLine("|---|---:|---|---|---:|---:|---|---|");
        foreach (var r in results)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {Format(r.Value)} | {r.Unit} | {r.Baseline ?? ""} | {(r.BaselineValue is { } b ? Format(b) : "")} | {(r.Ratio is { } ratio ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "")} | {r.Target ?? ""} | {(r.Met is { } met ? (met ? "yes" : "**no**") : "")} |");
        }
        return md.ToString();
    }

    private static string Format(double value) => value >= 100 ? value.ToString("#,0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);

    public static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} cores ({cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}), {memory:0} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}

[JsonSerializable(typeof(IReadOnlyList<BenchResult>))]
[JsonSourceGenerationOptions(WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
internal sealed partial class BenchJson : JsonSerializerContext;
