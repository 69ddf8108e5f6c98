using System.Text.Json;
using PatientStream.Testing;

namespace PatientStream.Bench.Tests;

public sealed class ReportTests
{
    private static readonly BenchResult[] Results =
    [
        new("e2e samples/s", 40_000, "samples/s", "raw Mosquitto", 160_000, "≥ 50,000 samples/s", false),
        new("e2e peak memory of edge", 170.4, "MB", null, null, null, null),
    ];

    [Fact]
    public async Task Latest_json_holds_exactly_the_fields_issue_9_names_in_its_order()
    {
        using var folder = new TempFolder("bench-report");
        await Report.WriteAsync(folder.Path, Results, quick: false, [], CancellationToken.None);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(folder.Combine("latest.json")));
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row => Assert.Equal(["name", "value", "unit", "baseline", "baseline_value", "ratio", "target"],
            row.EnumerateObject().Select(p => p.Name).ToArray()));
        Assert.Equal(0.25, rows[0].GetProperty("ratio").GetDouble());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("ratio").ValueKind);
        Assert.Equal("≥ 50,000 samples/s", rows[0].GetProperty("target").GetString());
    }

    [Fact]
    public async Task Latest_md_names_the_machine_every_result_whether_its_target_was_met_and_what_failed()
    {
        using var folder = new TempFolder("bench-report");
        await Report.WriteAsync(folder.Path, Results, quick: true, ["kafka"], CancellationToken.None);

        var md = await File.ReadAllTextAsync(folder.Combine("latest.md"));
        Assert.Contains("Machine: " + Report.Machine(), md, StringComparison.Ordinal);
        Assert.Contains("quick run", md, StringComparison.Ordinal);
        Assert.Contains("| e2e samples/s | 40,000 | samples/s | raw Mosquitto | 160,000 | 0.25 | ≥ 50,000 samples/s | **no** |", md, StringComparison.Ordinal);
        Assert.Contains("| e2e peak memory of edge | 170 | MB |", md, StringComparison.Ordinal);
        Assert.Contains("**Failed or unfinished, no figures:** kafka", md, StringComparison.Ordinal);
    }
}
