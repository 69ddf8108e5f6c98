using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PatientStream.Fhir.Bench;

internal static class FhirBenchReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task WriteAsync(string folder, BenchOptions options, IReadOnlyList<FhirBenchResult> results, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "latest.json"), JsonSerializer.Serialize(new { options.Observations, options.PerPatient, options.Queries, results }, Indented), ct).ConfigureAwait(false);
        var md = new StringBuilder();
        md.AppendLine("# FHIR server benchmark").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores: {options.Observations:N0} Observations ({options.PerPatient} per patient, one transaction Bundle per patient), {options.Queries} queries per search.").AppendLine();
        md.AppendLine("| store | measurement | value | unit | target | met |").AppendLine("|---|---|---:|---|---|---|");
        foreach (var r in results)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Store} | {r.Name} | {r.Value:N1} | {r.Unit} | {r.Target} | {(r.Target.Length == 0 ? string.Empty : r.Met ? "yes" : "no")} |");
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "latest.md"), md.ToString(), ct).ConfigureAwait(false);
        Console.WriteLine(md.ToString());
    }
}
